"""Namespaces and controlled vocabularies of DCAT-AP 3 and HealthDCAT-AP."""

from rdflib import Namespace

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
DCATAP = Namespace("http://data.europa.eu/r5r/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
DPV = Namespace("https://w3id.org/dpv#")
HEALTH = Namespace("http://healthdataportal.eu/ns/health#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
CSVW = Namespace("http://www.w3.org/ns/csvw#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
EU = "http://publications.europa.eu/resource/authority/"
ACCESS_RIGHT = Namespace(f"{EU}access-right/")
DATA_THEME = Namespace(f"{EU}data-theme/")
DATASET_TYPE = Namespace(f"{EU}dataset-type/")
FREQUENCY = Namespace(f"{EU}frequency/")
LANGUAGE = Namespace(f"{EU}language/")
FILE_TYPE = Namespace(f"{EU}file-type/")
ACCESS_RIGHTS = {"public": "PUBLIC", "restricted": "RESTRICTED", "non_public": "NON_PUBLIC"}
EHDS = "http://data.europa.eu/eli/reg/2025/327/oj"
GDPR = "http://data.europa.eu/eli/reg/2016/679/oj"
DEFAULT_HEALTH_CATEGORY = "EHR"
# Frictionless Table Schema types as CSVW datatypes (https://www.w3.org/TR/tabular-metadata/).
CSVW_DATATYPES = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "date": "date",
    "datetime": "datetime",
    "time": "time",
    "year": "gYear",
    "yearmonth": "gYearMonth",
    "duration": "duration",
}
