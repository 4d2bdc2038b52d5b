"""The case database (活用事例・創出事例, issue 16): how organisations create and use credits."""
