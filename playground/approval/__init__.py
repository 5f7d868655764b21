"""The approval lab: episodes of agent steps rated by approval sources, measured against the
environments' ground truth."""
