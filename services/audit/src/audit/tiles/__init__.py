"""The tree and its entries as C2SP tlog-tiles: static, cacheable resources."""
