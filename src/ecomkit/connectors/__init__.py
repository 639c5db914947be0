"""Sources: REST APIs (generic, Shopify, WooCommerce, Stripe), SQL databases, MongoDB and files, read incrementally as Arrow."""

from __future__ import annotations

__all__: list[str] = []
