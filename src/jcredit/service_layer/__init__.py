"""Service layer: commands are carried out here, one database transaction each."""
