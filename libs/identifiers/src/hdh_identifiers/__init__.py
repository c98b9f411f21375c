"""The rules of personal identifiers, written once for every service that finds or checks them."""
