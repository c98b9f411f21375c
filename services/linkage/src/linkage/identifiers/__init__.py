"""Normalisation and validation of identifiers and quasi-identifiers, vectorised with pyarrow.

Each checker takes a pyarrow array and returns a :class:`Checked`: the normalised values
(null where invalid or missing) and, per rule, how many values broke it. Clear values
never leave these functions in any other form.
"""
