"""The finish phase: folds, aggregation, writers, error reports and the manifest."""
