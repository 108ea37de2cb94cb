"""Who is calling (principals from bearer secrets) and what they may do."""
