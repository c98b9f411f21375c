"""The Merkle tree as stored: every complete subtree hash, written as leaves are appended."""
