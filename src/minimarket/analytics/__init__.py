"""What the shop's manager reads: queries and aggregations over the store, formatted the Argentine way.

The dashboards (:mod:`minimarket.dashboards`) only lay these out; every figure comes from here.
"""
