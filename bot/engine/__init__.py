"""Code that runs inside the Rasa engine env (.venv-engine, Python 3.10, Rasa 3.6).

Nothing here is imported by the app env: Rasa loads these modules by their dotted path
from config.yml (e.g. ``bot.engine.language_detector.LanguageDetector``), with the repo
root on ``sys.path`` (``rasa`` puts its working directory there, so run it from the root).
"""
