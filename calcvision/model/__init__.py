"""The CNN: network, checkpoint format, training (Lightning), calibration, export."""
