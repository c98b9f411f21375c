"""A dataset as DCAT-AP 3 / HealthDCAT-AP triples.

Mandatory properties come from the dataset's own metadata: its record, then what the
catalogue holds about it (its tables as keywords, the rows and dates of its validated
versions as record count and provenance). Only what neither holds gets a conservative
default (the hub as health data access body, the EHDS and GDPR as applicable
legislation...), so every export validates. Each table is a distribution whose columns are
described as CSVW (``csvw:tableSchema``).
"""

from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from catalog.datasets.models import Dataset
from catalog.datasets.schemas import DatasetDetails
from catalog.dcat.repository import Holdings, TableColumns
from catalog.dcat.vocabulary import (
    ACCESS_RIGHT,
    ACCESS_RIGHTS,
    ADMS,
    CSVW,
    CSVW_DATATYPES,
    DATA_THEME,
    DATASET_TYPE,
    DCAT,
    DCATAP,
    DCT,
    DEFAULT_HEALTH_CATEGORY,
    DPV,
    EHDS,
    ELI,
    FILE_TYPE,
    FOAF,
    FREQUENCY,
    GDPR,
    HEALTH,
    SKOS,
    VCARD,
)
from catalog.dictionary.models import Variable


@dataclass(frozen=True)
class Site:
    base_uri: str
    hdab_name: str
    hdab_email: str

    def iri(self, path: str) -> URIRef:
        return URIRef(f"{self.base_uri.rstrip('/')}/{path.lstrip('/')}")


def new_graph() -> Graph:
    graph = Graph()
    for prefix, namespace in (
        ("dcat", DCAT),
        ("dct", DCT),
        ("dcatap", DCATAP),
        ("foaf", FOAF),
        ("vcard", VCARD),
        ("skos", SKOS),
        ("dpv", DPV),
        ("healthdcatap", HEALTH),
        ("adms", ADMS),
        ("csvw", CSVW),
    ):
        graph.bind(prefix, namespace)
    return graph


def add_catalog(graph: Graph, site: Site, datasets: list[tuple[Dataset, Holdings]]) -> URIRef:
    catalog = site.iri("catalog")
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCT["title"], Literal("Catalogue du Health Data Hub", lang="fr")))
    graph.add((catalog, DCT["title"], Literal("Health Data Hub catalogue", lang="en")))
    graph.add((catalog, DCT.description, Literal("Jeux de données de santé.", lang="fr")))
    graph.add((catalog, DCT.publisher, _agent(graph, site, "health-data-hub", site.hdab_name)))
    _legislation(graph, catalog, [EHDS, GDPR])
    for dataset, holdings in datasets:
        graph.add((catalog, DCAT.dataset, add_dataset(graph, site, dataset, holdings)))
    return catalog


def add_dataset(graph: Graph, site: Site, dataset: Dataset, holdings: Holdings) -> URIRef:
    details = DatasetDetails.model_validate(dataset.details)
    node = site.iri(f"catalog/datasets/{dataset.id}")
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCT.identifier, Literal(dataset.slug)))
    _texts(graph, node, dataset)
    graph.add((node, DCT.publisher, _agent(graph, site, dataset.publisher, dataset.publisher)))
    graph.add((node, DCAT.contactPoint, _contact(graph, details, dataset.publisher)))
    for theme in dataset.themes or ["HEAL"]:
        graph.add((node, DCAT.theme, _concept(graph, _iri(theme, DATA_THEME), DATA_THEME)))
    tables = [t.table.name for t in holdings.tables]
    for keyword in dataset.keywords or tables or [dataset.slug]:
        graph.add((node, DCAT.keyword, Literal(keyword, lang="fr")))
    rights = _concept(graph, ACCESS_RIGHT[ACCESS_RIGHTS[dataset.access_rights]], None)
    graph.add((rights, RDF.type, DCT.RightsStatement))
    graph.add((node, DCT.accessRights, rights))
    laws = details.applicable_legislation or [EHDS, GDPR]
    _legislation(graph, node, laws)
    _health(graph, site, node, dataset, details, holdings)
    _coverage(graph, node, details)
    graph.add((node, DCAT.distribution, _distribution(graph, site, dataset, laws)))
    for table in holdings.tables:
        graph.add((node, DCAT.distribution, _table(graph, site, dataset, table, laws)))
    return node


def _texts(graph: Graph, node: URIRef, dataset: Dataset) -> None:
    graph.add((node, DCT["title"], Literal(dataset.title, lang="fr")))
    graph.add((node, DCT.description, Literal(dataset.description or dataset.title, lang="fr")))
    if dataset.title_en:
        graph.add((node, DCT["title"], Literal(dataset.title_en, lang="en")))
    if dataset.description_en:
        graph.add((node, DCT.description, Literal(dataset.description_en, lang="en")))
    graph.add((node, DCT.modified, Literal(dataset.updated_at.isoformat(), datatype=XSD.dateTime)))


def _health(
    graph: Graph,
    site: Site,
    node: URIRef,
    dataset: Dataset,
    details: DatasetDetails,
    holdings: Holdings,
) -> None:
    hdab_name = details.health_data_access_body or site.hdab_name
    hdab = _agent(graph, site, "hdab", hdab_name, email=site.hdab_email)
    graph.add((node, HEALTH.hdab, hdab))
    for category in details.health_categories or [DEFAULT_HEALTH_CATEGORY]:
        graph.add((node, HEALTH.healthCategory, _iri(category, HEALTH)))
    kind = _iri(details.dataset_type or "PERSONAL_DATA", DATASET_TYPE)
    graph.add((node, DCT.type, _concept(graph, kind, DATASET_TYPE)))
    provenance = BNode()
    graph.add((provenance, RDF.type, DCT.ProvenanceStatement))
    text = details.provenance or _provenance(dataset, holdings)
    graph.add((provenance, RDF.value, Literal(text, lang="fr")))
    graph.add((node, DCT.provenance, provenance))
    records = details.number_of_records
    for field, predicate in (
        (records if records is not None else holdings.row_count, HEALTH.numberOfRecords),
        (details.number_of_individuals, HEALTH.numberOfUniqueIndividuals),
    ):
        if field is not None:
            graph.add((node, predicate, Literal(field, datatype=XSD.nonNegativeInteger)))
    if details.population_covered:
        graph.add((node, HEALTH.populationCoverage, Literal(details.population_covered, lang="fr")))
    if details.update_frequency:
        frequency = _iri(details.update_frequency, FREQUENCY)
        graph.add((frequency, RDF.type, DCT.Frequency))
        graph.add((node, DCT.accrualPeriodicity, frequency))
    if details.version:
        graph.add((node, DCAT.version, Literal(details.version)))


def _provenance(dataset: Dataset, holdings: Holdings) -> str:
    text = f"Données transmises par {dataset.publisher}"
    if holdings.last_validated is None:
        return f"{text}."
    count, last = holdings.validated_versions, holdings.last_validated.date().isoformat()
    return f"{text} ; {count} version(s) validée(s) par le catalogue, la dernière le {last}."


def _coverage(graph: Graph, node: URIRef, details: DatasetDetails) -> None:
    """Properties of the record beyond the mandatory ones: period, legal basis, pages."""
    if details.temporal_start or details.temporal_end:
        period = BNode()
        graph.add((period, RDF.type, DCT.PeriodOfTime))
        for value, predicate in (
            (details.temporal_start, DCAT.startDate),
            (details.temporal_end, DCAT.endDate),
        ):
            if value is not None:
                graph.add((period, predicate, Literal(value.isoformat(), datatype=XSD.date)))
        graph.add((node, DCT.temporal, period))
    for values, predicate in (
        (details.legal_basis, DPV.hasLegalBasis),
        (details.personal_data, DPV.hasPersonalData),
    ):
        for text in values:
            graph.add((node, predicate, _iri_or_text(text)))
    if details.landing_page:
        page = URIRef(details.landing_page)
        graph.add((page, RDF.type, FOAF.Document))
        graph.add((node, DCAT.landingPage, page))


def _distribution(graph: Graph, site: Site, dataset: Dataset, laws: list[str]) -> URIRef:
    node = site.iri(f"catalog/datasets/{dataset.id}/distributions/dictionary")
    graph.add((node, RDF.type, DCAT.Distribution))
    graph.add((node, DCAT.accessURL, site.iri(f"catalog/datasets/{dataset.id}")))
    graph.add((node, DCT["title"], Literal("Dictionnaire des variables", lang="fr")))
    graph.add((node, DCT["format"], _file_type(graph, "JSON")))
    _legislation(graph, node, laws)
    return node


def _table(
    graph: Graph, site: Site, dataset: Dataset, columns: TableColumns, laws: list[str]
) -> URIRef:
    """A table's validated versions (Parquet), its columns described as a CSVW table."""
    table = columns.table
    path = f"catalog/datasets/{dataset.id}/tables/{table.name}"
    node = site.iri(f"catalog/datasets/{dataset.id}/distributions/{table.name}")
    graph.add((node, RDF.type, DCAT.Distribution))
    graph.add((node, DCAT.accessURL, site.iri(path)))
    graph.add((node, DCT["title"], Literal(table.title or table.name, lang="fr")))
    if table.description:
        graph.add((node, DCT.description, Literal(table.description, lang="fr")))
    graph.add((node, DCT["format"], _file_type(graph, "PARQUET")))
    _legislation(graph, node, laws)
    schema = site.iri(f"{path}#schema")
    graph.add((node, CSVW.tableSchema, schema))
    graph.add((schema, RDF.type, CSVW.Table))
    graph.add((schema, RDF.type, CSVW.Schema))
    graph.add((schema, CSVW.url, site.iri(path)))
    graph.add((schema, DCT["title"], Literal(table.title or table.name, lang="fr")))
    graph.add((schema, DCAT.keyword, Literal(table.name)))
    for variable in columns.variables:
        graph.add((schema, CSVW.column, _column(graph, variable)))
    if table.primary_key:
        graph.add((schema, CSVW.primaryKey, Literal(" ".join(table.primary_key))))
    return node


def _column(graph: Graph, variable: Variable) -> BNode:
    column = BNode()
    graph.add((column, RDF.type, CSVW.Column))
    graph.add((column, CSVW.name, Literal(variable.name)))
    title = variable.label or variable.name
    graph.add((column, CSVW.titles, Literal(title, lang="fr")))
    graph.add((column, DCT.description, Literal(variable.description or title, lang="fr")))
    graph.add((column, CSVW.datatype, Literal(CSVW_DATATYPES.get(variable.type, "string"))))
    if variable.required:
        graph.add((column, CSVW.required, Literal(True)))
    return column


def _file_type(graph: Graph, name: str) -> URIRef:
    file_type = _iri(name, FILE_TYPE)
    graph.add((file_type, RDF.type, DCT.MediaTypeOrExtent))
    return file_type


def _iri_or_text(value: str) -> URIRef | Literal:
    return URIRef(value) if value.startswith(("http://", "https://")) else Literal(value)


def _agent(graph: Graph, site: Site, key: str, name: str, *, email: str | None = None) -> URIRef:
    node = site.iri(f"organisations/{key}")
    graph.add((node, RDF.type, FOAF.Agent))
    graph.add((node, FOAF.name, Literal(name)))
    if (node, DCAT.contactPoint, None) not in graph:
        graph.add((node, DCAT.contactPoint, _vcard(graph, name, email, str(node))))
    return node


def _contact(graph: Graph, details: DatasetDetails, publisher: str) -> BNode:
    contact = details.contact_point
    if contact is None:
        return _vcard(graph, publisher, None, None)
    return _vcard(graph, contact.name, contact.email, contact.url)


def _vcard(graph: Graph, name: str, email: str | None, url: str | None) -> BNode:
    node = BNode()
    graph.add((node, RDF.type, VCARD.Kind))
    graph.add((node, VCARD.fn, Literal(name)))
    if email:
        graph.add((node, VCARD.hasEmail, URIRef(f"mailto:{email}")))
    graph.add((node, VCARD.hasURL, URIRef(url or "https://www.health-data-hub.fr")))
    return node


def _concept(graph: Graph, iri: URIRef, scheme: object) -> URIRef:
    graph.add((iri, RDF.type, SKOS.Concept))
    label = str(iri).rstrip("/").rsplit("/", 1)[-1].replace("_", " ").capitalize()
    graph.add((iri, SKOS.prefLabel, Literal(label, lang="en")))
    if scheme is not None:
        graph.add((iri, SKOS.inScheme, URIRef(str(scheme).rstrip("/"))))
    return iri


def _legislation(graph: Graph, node: URIRef, laws: list[str]) -> None:
    for law in laws:
        iri = URIRef(law)
        graph.add((iri, RDF.type, ELI.LegalResource))
        graph.add((node, DCATAP.applicableLegislation, iri))


def _iri(value: str, namespace: object) -> URIRef:
    return (
        URIRef(value)
        if value.startswith(("http://", "https://"))
        else URIRef(f"{namespace}{value}")
    )
