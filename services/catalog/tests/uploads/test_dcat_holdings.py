"""The DCAT-AP export fills what the record lacks from the validated versions it holds."""

from rdflib import Graph, Namespace
from rdflib.namespace import RDF

from ..dcat.test_export import assert_conforms
from .hub import Hub, csv_bytes, good_rows

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
HEALTH = Namespace("http://healthdataportal.eu/ns/health#")
CSVW = Namespace("http://www.w3.org/ns/csvw#")


async def test_records_and_provenance_come_from_the_validated_versions(hub: Hub) -> None:
    response = await hub.send(csv_bytes(good_rows(120)))
    assert response.json()["status"] == "validated"
    exported = await hub.client.get(hub.url("/dcat"), headers=hub.staff | {"Accept": "text/turtle"})
    graph = Graph().parse(data=exported.text, format="turtle")
    assert_conforms(graph, non_public=True)
    dataset = next(graph.subjects(RDF.type, DCAT.Dataset))
    records = graph.value(dataset, HEALTH.numberOfRecords)
    assert records is not None and int(records) == 120
    provenance = str(graph.value(graph.value(dataset, DCT.provenance), RDF.value))
    assert "1 version(s) validée(s)" in provenance
    names = {str(graph.value(c, CSVW.name)) for c in graph.subjects(RDF.type, CSVW.Column)}
    assert names == {"PAT_ID", "SEX_COD", "NAI_DTE", "POIDS"}
