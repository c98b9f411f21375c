"""The French region of a postcode or commune code, for the linkage reports' bias groups.

The département is the code's first two characters, three overseas (971 to 976); Corsica's
communes are coded 2A and 2B, its postcodes start with 20. Codes outside the 101
départements (abroad 99, Saint-Pierre-et-Miquelon 975, Monaco 980, other collectivities 98x,
typing errors) and missing codes are in the ``unknown`` group, never left out.
"""

import pyarrow as pa
import pyarrow.compute as pc

UNKNOWN = "unknown"
# The 18 regions and their départements: INSEE, Code officiel géographique au 1er janvier
# 2024 (files v_region_2024.csv and v_departement_2024.csv), keyed by INSEE region code.
REGIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "01": ("Guadeloupe", ("971",)),
    "02": ("Martinique", ("972",)),
    "03": ("Guyane", ("973",)),
    "04": ("La Réunion", ("974",)),
    "06": ("Mayotte", ("976",)),
    "11": ("Île-de-France", ("75", "77", "78", "91", "92", "93", "94", "95")),
    "24": ("Centre-Val de Loire", ("18", "28", "36", "37", "41", "45")),
    "27": ("Bourgogne-Franche-Comté", ("21", "25", "39", "58", "70", "71", "89", "90")),
    "28": ("Normandie", ("14", "27", "50", "61", "76")),
    "32": ("Hauts-de-France", ("02", "59", "60", "62", "80")),
    "44": ("Grand Est", ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88")),
    "52": ("Pays de la Loire", ("44", "49", "53", "72", "85")),
    "53": ("Bretagne", ("22", "29", "35", "56")),
    "75": (
        "Nouvelle-Aquitaine",
        ("16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"),
    ),
    "76": (
        "Occitanie",
        ("09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"),
    ),
    "84": (
        "Auvergne-Rhône-Alpes",
        ("01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"),
    ),
    "93": ("Provence-Alpes-Côte d'Azur", ("04", "05", "06", "13", "83", "84")),
    "94": ("Corse", ("2A", "2B", "20")),
}
_DEPARTMENTS = pa.array([d for _, ds in REGIONS.values() for d in ds])
_NAMES = pa.array([name for name, ds in REGIONS.values() for _ in ds])


def _department(codes: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The département part of postcodes or commune codes: two characters, three from 97."""
    codes = pc.utf8_upper(pc.utf8_trim_whitespace(pc.cast(codes, pa.string())))
    overseas = pc.starts_with(codes, "97")
    return pc.if_else(
        overseas, pc.utf8_slice_codeunits(codes, 0, 3), pc.utf8_slice_codeunits(codes, 0, 2)
    )


def region(codes: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The region's name of each postcode or commune code, ``unknown`` when it has none."""
    found = pc.index_in(_department(codes), value_set=_DEPARTMENTS)
    return pc.fill_null(pc.take(_NAMES, found), UNKNOWN)
