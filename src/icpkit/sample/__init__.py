"""Sample data with a planted truth, for the demo, tests and benchmarks: customer bases
(customers) and the contacts and deals of their people (people)."""
