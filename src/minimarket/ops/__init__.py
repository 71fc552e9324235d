"""Operations: scheduled pipelines (``pipelines/*.yaml``), backups, signing-key rotation, operational gauges."""
