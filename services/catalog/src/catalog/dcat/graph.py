"""A dataset as DCAT-AP 3 / HealthDCAT-AP triples.

Mandatory properties the record lacks get conservative defaults (the hub as health data
access body, the EHDS and GDPR as applicable legislation...), so every export validates.
"""

from dataclasses import dataclass

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from catalog.datasets.models import Dataset
from catalog.datasets.schemas import DatasetDetails
from catalog.dcat.vocabulary import (
    ACCESS_RIGHT,
    ACCESS_RIGHTS,
    ADMS,
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
    ):
        graph.bind(prefix, namespace)
    return graph


def add_catalog(graph: Graph, site: Site, datasets: list[Dataset]) -> URIRef:
    catalog = site.iri("catalog")
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCT["title"], Literal("Catalogue du Health Data Hub", lang="fr")))
    graph.add((catalog, DCT["title"], Literal("Health Data Hub catalogue", lang="en")))
    graph.add((catalog, DCT.description, Literal("Jeux de données de santé.", lang="fr")))
    graph.add((catalog, DCT.publisher, _agent(graph, site, "health-data-hub", site.hdab_name)))
    _legislation(graph, catalog, [EHDS, GDPR])
    for dataset in datasets:
        graph.add((catalog, DCAT.dataset, add_dataset(graph, site, dataset)))
    return catalog


def add_dataset(graph: Graph, site: Site, dataset: Dataset) -> URIRef:
    details = DatasetDetails.model_validate(dataset.details)
    node = site.iri(f"catalog/datasets/{dataset.id}")
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCT.identifier, Literal(dataset.slug)))
    _texts(graph, node, dataset)
    graph.add((node, DCT.publisher, _agent(graph, site, dataset.publisher, dataset.publisher)))
    graph.add((node, DCAT.contactPoint, _contact(graph, details, dataset.publisher)))
    for theme in dataset.themes or ["HEAL"]:
        graph.add((node, DCAT.theme, _concept(graph, _iri(theme, DATA_THEME), DATA_THEME)))
    for keyword in dataset.keywords or [dataset.slug]:
        graph.add((node, DCAT.keyword, Literal(keyword, lang="fr")))
    rights = _concept(graph, ACCESS_RIGHT[ACCESS_RIGHTS[dataset.access_rights]], None)
    graph.add((rights, RDF.type, DCT.RightsStatement))
    graph.add((node, DCT.accessRights, rights))
    _legislation(graph, node, details.applicable_legislation or [EHDS, GDPR])
    _health(graph, site, node, dataset, details)
    graph.add((node, DCAT.distribution, _distribution(graph, site, dataset, details)))
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
    graph: Graph, site: Site, node: URIRef, dataset: Dataset, details: DatasetDetails
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
    text = details.provenance or f"Données transmises par {dataset.publisher}."
    graph.add((provenance, RDF.value, Literal(text, lang="fr")))
    graph.add((node, DCT.provenance, provenance))
    for field, predicate in (
        (details.number_of_records, HEALTH.numberOfRecords),
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


def _distribution(graph: Graph, site: Site, dataset: Dataset, details: DatasetDetails) -> URIRef:
    node = site.iri(f"catalog/datasets/{dataset.id}/distributions/dictionary")
    graph.add((node, RDF.type, DCAT.Distribution))
    graph.add((node, DCAT.accessURL, site.iri(f"catalog/datasets/{dataset.id}")))
    graph.add((node, DCT["title"], Literal("Dictionnaire des variables", lang="fr")))
    file_type = _iri("JSON", FILE_TYPE)
    graph.add((file_type, RDF.type, DCT.MediaTypeOrExtent))
    graph.add((node, DCT["format"], file_type))
    _legislation(graph, node, details.applicable_legislation or [EHDS, GDPR])
    return node


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
