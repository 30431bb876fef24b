"""People inside fitting accounts: job titles read as department and seniority (titles),
the personas of won deals (personas), the rules of each country's outreach law
(compliance), and the outreach list itself (outreach)."""
