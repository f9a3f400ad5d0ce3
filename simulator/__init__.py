"""A simulator of the providers' metrics APIs on 127.0.0.1, for the demo and the tests. Not part of the wheel."""
