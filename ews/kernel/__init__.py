"""The ground floor: schemas, ids, periods, configuration, the store, the taxonomy. Imports nothing above it."""
