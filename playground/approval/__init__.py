"""The approval lab's environments: episodes with ground truth (true step values, an outcome,
whether it was hacked), and the sandbox their code runs in. The protocol that rates their steps
is `playground.protocols.approval`."""
