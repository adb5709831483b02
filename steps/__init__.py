"""provsim's Gherkin step library, a pytest plugin (entry point ``pytest11: provsim``).

Install provsim and every repository's ``features/`` can use these sentences;
see each module for its sentences, parameters and examples.
"""
