"""The Duck Shop's data layer (Lab 01). See README.md for the contract."""
