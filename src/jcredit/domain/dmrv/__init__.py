"""The digital creation system (創出システム): devices, signed batches of meter readings and
the automatic checks over them (docs/dmrv.md). Pure: standard library only."""
