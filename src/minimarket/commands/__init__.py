"""Sub-commands of the ``minimarket`` CLI, one module per area; ``minimarket.cli`` assembles them."""
