"""A stand-in for a cell's stats (``problem``, ``oracle``) that records what a property's check
says, for the tests of the statistical properties (dropout, rrelu)."""


class Stats:
    def __init__(self):
        self.problems, self.oracles = [], {}

    def problem(self, text):
        self.problems.append(text)

    def oracle(self, name, agrees):
        self.oracles[name] = agrees
