"""Key indicators of the bank (the dashboard's figures), read from the database."""
