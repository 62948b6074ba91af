"""The AWS DeepRacer developer guide's reward function examples 1–4 (section "AWS DeepRacer
reward function examples", ../shared/seeds/003_e0fd8f8b841c71a2.txt), as published: only the
PDF extraction's damage (a docstring's closing quotes, indentation split across pages) repaired.
"""
