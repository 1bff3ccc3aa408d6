"""Reading a whole message: the job a learner has, the job or field they want, their goal,
their limits and their questions, in English or French, in one sentence or several.

The entity extractor is not trusted to find a job's span. Here the words that say "this is my
job" ("I've been a", "laid off from", "je suis", "chu") or "this is the one I want" ("want to
become", "move up to", "bridge to", "devenir", "me réorienter vers") open a span, the next
clause boundary ("for 9 years", "in Sudbury", "et", ",") closes it, and the resolver decides
how much of it is a title (the longest part that reads as one). A short message without cues
("PSW", "soudeuse") is the job itself. A wanted field or skill that is no occupation
("machine learning", "la paie") is kept as the skill to look for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.constraints import (
    Constraints,
    Goal,
    fold,
    foldable,
    parse_goal,
    read_limits,
    says_wants_out,
    speaks_for_staff,
    strip_places,
)
from knowledge.language import Lang
from knowledge.resolver import Resolution, TitleIndex, resolve_title, resolve_titles

MAX_SPAN_WORDS = 6  # a job title is a few words; a field a few more ("health-care administration")
MAX_CLAUSE_WORDS = 6  # a clause this short without a cue may be the job itself ("PSW, RPN")
MAX_CHARS = 2000  # the rest of a long story is not read for jobs
# Bounds on the resolver's work for one message, whatever it holds: a paste of 2,000
# characters of "I'm a x, I'm a y, ..." must not hold the actions server for everyone.
MAX_CUES = 8  # cues of each kind (current, target) whose spans are resolved
MAX_CLAUSES = 12  # uncued clauses resolved
BARE_LIKELY = 80.0  # an uncued title opening the message, this likely: asked back about


@dataclass(frozen=True)
class JobMention:
    """A job (or, for a target, a field) the message names."""

    text: str  # the words of the message, as typed
    nocs: tuple[str, ...] = ()  # the resolver's candidates, best first
    clear: bool = False  # the resolver is sure of the first
    skill: str | None = None  # a field or skill to learn (targets only)
    resolution: Resolution | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class MessageReading:
    current: JobMention | None
    target: JobMention | None
    goal: Goal | None
    constraints: Constraints
    preferences: Constraints = Constraints()
    questions: tuple[str, ...] = ()


# Cues, on folded text (lower case, no accents). Each ends where the span starts.
_ARTICLE = r"(?:(?:an?|the|une?|la|le|les|des|de|du)\s+|l'|d')?"
# Current-job cues, strongest first: a present "I work as" beats "I was" (the job held now is
# the one said last in the present: "I was a nurse in Ukraine. Here I work as a dietary aide").
_CURRENT_CUES = (
    r"(?:i\s+)?(?:currently\s+|now\s+)?work(?:ing)?\s+(?:as|like)\s+" + _ARTICLE,
    r"(?:je\s+)?(?:travaille|bosse)\s+(?:comme|en\s+tant\s+que|en)\s+" + _ARTICLE,
    # "I work in marketing", "je travaille dans un centre d'appels": the field held now
    r"(?:i|i'm|im|i\s+am|we)\s+(?:currently\s+|now\s+|still\s+)?work(?:ing)?\s+in\s+"
    + _ARTICLE,
    r"(?:je|j')\s*(?:travaille|bosse)\s+dans\s+" + _ARTICLE,
    r"(?:my|for\s+my|at\s+my)\s+(?:job|position|role|work)\s+as\s+" + _ARTICLE,
    r"(?:currently|presently|now)\s+(?:working\s+as\s+)?an?\s+",  # "Currently an EA at a firm"
    r"i'?m\s+(?:currently\s+|now\s+|still\s+)?" + _ARTICLE,
    r"i\s+am\s+(?:currently\s+|now\s+)?" + _ARTICLE,
    r"my\s+(?:job|title|position|role|occupation)\s+is\s+" + _ARTICLE,
    r"(?:je\s+suis|chu|j'suis|jsuis)\s+(?:presentement\s+|actuellement\s+)?" + _ARTICLE,
    r"mon\s+(?:emploi|metier|poste|travail|job)\s+(?:est|c'est)\s+" + _ARTICLE,
    r"i\s+was\s+(?:working\s+as\s+)?" + _ARTICLE,
    r"i'?ve\s+been\s+(?:working\s+as\s+)?" + _ARTICLE,
    r"(?:i'?ve|ive|i\s+have)\s+worked\s+(?:as|like)\s+" + _ARTICLE,
    # "I've worked in a factory on the assembly line", "worked in retail for 10 years"
    r"(?:i'?ve|ive|i\s+have|i)\s+(?:always\s+)?worked\s+(?:in|on)\s+" + _ARTICLE,
    r"been\s+(?:working\s+as\s+)?an?\s+",  # "Been a cashier for 4 years"
    # "10 years experience as a chef", "after 15 yrs as an RPN", "20 ans comme soudeur"
    r"(?:years?|yrs?|ans|annees)\s+(?:of\s+experience\s+|experience\s+|d'experience\s+)?"
    r"(?:as|comme|en\s+tant\s+que)\s+" + _ARTICLE,
    r"i\s+have\s+been\s+(?:working\s+as\s+)?" + _ARTICLE,
    r"i\s+worked\s+(?:as|like)\s+" + _ARTICLE,
    r"i\s+used\s+to\s+(?:be|work\s+as|do)\s+" + _ARTICLE,
    r"(?:laid\s+off|let\s+go|fired)\s+(?:from\s+)?(?:my\s+)?(?:job\s+)?(?:as\s+)?" + _ARTICLE,
    r"my\s+(?:job|title|position|role|occupation)\s+was\s+" + _ARTICLE,
    r"(?:ex-|former\s+|retired\s+)",
    r"i\s+drive\s+" + _ARTICLE,
    r"(?:trained|educated|qualified)\s+as\s+" + _ARTICLE,  # a newcomer's profession
    r"i\s+do\s+",  # "I do drywall": weak, the resolver must find a trade
    # "unemployed, was a cook for 8 years"
    r"(?:(?<=^)|(?<=[,;.])\s*|(?<=[,;.]\s)|(?<=\band\s)|(?<=\bbut\s))was\s+an?\s+",
    r"(?:j'etais|j'ai\s+ete)\s+" + _ARTICLE + r"(?:ancien(?:ne)?\s+)?",
    r"(?:je\s+)?(?:travaillais|bossais)\s+(?:comme|en\s+tant\s+que|en)\s+" + _ARTICLE,
    r"(?:mise?\s+a\s+pied|licencie(?:e)?)\s+(?:comme|de\s+mon\s+poste\s+de)\s+" + _ARTICLE,
    r"retraite(?:e)?\s+(?:de|du|des)\s+" + _ARTICLE,
    r"mon\s+(?:emploi|metier|poste|travail|job)\s+etait\s+" + _ARTICLE,
    r"ancien(?:ne)?\s+",
)
# Target cues: an occupation wanted ...
_TARGET_JOB_CUES = (
    r"(?:want|wanna|would\s+like|i'?d\s+like|hope|hoping|plan(?:ning)?|trying|try|going)\s+"
    r"to\s+(?:become|be|work\s+as|get\s+back\s+to\s+work\s+as|switch\s+to|train\s+as)\s+"
    + _ARTICLE,
    r"(?:become|becoming)\s+" + _ARTICLE,
    r"(?:start|starting|begin|get\s+back\s+to)\s+work(?:ing)?\s+as\s+" + _ARTICLE,
    r"(?:can|could)\s+i\s+(?:work|start\s+working|get\s+a\s+job)\s+as\s+" + _ARTICLE,
    r"(?:wants|wanted|wanna|gonna)\s+(?:to\s+)?(?:be|become)\s+" + _ARTICLE,
    r"(?:licensed|certified|registered|accredited)\s+as\s+" + _ARTICLE,
    r"(?:goal|dream|plan)\s+is\s+to\s+be\s+" + _ARTICLE,
    r"(?:considering|consider)\s+" + _ARTICLE,
    r"(?:^|(?<=,)|(?<=\bet))\s*comme\s+" + _ARTICLE,  # "travailler dans les mines, comme ..."
    r"(?:move|moving)\s+up\s+to\s+" + _ARTICLE,
    r"bridg(?:e|ing)\s+(?:to|into)\s+" + _ARTICLE,
    r"(?:switch|switching|transition|transitioning|pivot|pivoting)\s+(?:to|into)\s+"
    + _ARTICLE,
    r"(?:train|training|study|studying)\s+(?:as|to\s+be)\s+" + _ARTICLE,
    r"(?:earn|make|paid)\s+as\s+" + _ARTICLE,
    r"(?:thinking|thinkin)\s+(?:about\s+|of\s+)?" + _ARTICLE,
    r"(?:devenir|redevenir)\s+" + _ARTICLE,
    r"(?:travailler|bosser)\s+comme\s+" + _ARTICLE,
    r"(?:peut-etre|peut\s+etre|maybe)\s+" + _ARTICLE,
)
# "want RPN", "veux devenir": a job only when the words are a title.
_TARGET_TITLE_CUES = (
    r"(?:want|wants|wanna|aiming\s+for|aim\s+for|going\s+for|veux|voudrais|vise)\s+"
    + _ARTICLE,
    # "programs in Thunder Bay for heavy equipment operators", "formations pour les soudeurs"
    # (people, so a plural: "a course for customer service" names a field, not the job)
    r"(?:programs?|courses?|training|classes|formations?|cours|programmes?)\s+"
    r"(?:[\w'-]+\s+){0,3}?(?:for|pour)\s+(?:the\s+|les\s+|des\s+)?(?:future\s+|futurs?\s+)?"
    r"(?=(?:[\w'-]+\s+){0,3}[\w'-]*s(?![\w'-]))" + _ARTICLE,
    # an employer's staff: "we're hiring 10 PSWs", "on embauche des soudeurs"
    r"(?:hiring|hire|recruiting|recruit|embauche|embaucher|engage|engager)\s+"
    r"(?:\d+\s+|a\s+few\s+|some\s+|new\s+|more\s+|des\s+|de\s+nouveaux\s+|"
    r"de\s+nouvelles\s+|quelques\s+)?" + _ARTICLE,
    # asking about an occupation names it: "how much does a welder make", "are PSWs in
    # demand", "combien gagne une IAA", "c'est combien de l'heure un IAA"
    r"how\s+much\s+(?:does|do|would|will|can|could)\s+" + _ARTICLE,
    r"(?:salary|salaries|wages?|pay|salaire|salaires)\s+(?:of|for|d'|de|des|pour)\s*" + _ARTICLE,
    r"(?:combien\s+(?:gagne|gagnent|fait|font|paye|payent)|de\s+l'heure|par\s+heure)\s+"
    + _ARTICLE,
    r"(?:are|is)\s+there\s+(?:jobs|work|demand)\s+for\s+" + _ARTICLE,
    r"(?:demande|jobs|emplois)\s+(?:pour|for)\s+" + _ARTICLE,  # "de la demande pour les IAA"
    # "the PSW program", "le cours de PAB": a title named for its program
    r"(?:the|this|that|le|la|ce|cette)\s+(?=[\w'-]+(?:\s+[\w'-]+)?\s+(?:program|programs|"
    r"course|courses|training|certificate|diploma|programme|formation|certificat)\b)",
)
# Asked about, a title need not be certain: likely is enough (the learner is asked which).
TITLE_LIKELY = 80.0
# ... or a field or skill to learn.
_TARGET_FIELD_CUES = (
    r"(?:get|getting|break|breaking|move|moving|go|going|change|changing|switch|"
    r"career\s+change)\s+(?:back\s+)?into\s+" + _ARTICLE,
    # "work in" is wanted after a wish ("want to work in HR"), held after "I" (current cues)
    r"(?:to|wanna|gonna|like|love|start|about|of|imagine)\s+work(?:ing)?\s+"
    r"(?:\w+\s+){0,2}?(?:in|on)\s+" + _ARTICLE,
    r"(?:job|jobs|career|something|somthing|anything|courses?|classes|training|programs?|"
    r"certificat(?:e|ion)s?|certified|micro-?credentials?|upskill(?:ing)?|skills?|"
    r"specialize|specialise|have|offer)\s+(?:\w+\s+){0,3}?(?:in|on)\s+" + _ARTICLE,
    r"(?:want|wanna|would\s+like|i'?d\s+like|like|need|needs|hope)\s+to\s+"
    r"(?:learn(?:\s+about)?|study|do|add|get)\s+" + _ARTICLE,
    r"learn(?:ing)?\s+(?:how\s+)?to\s+",  # "want to learn to read blueprints"
    r"(?:interested\s+in|looking\s+(?:at|into)|learn(?:ing)?(?:\s+about)?|"
    r"(?:improve|upgrade|update|refresh|brush\s+up(?:\s+on)?)\s+my|add)\s+" + _ARTICLE,
    # "looking for lean six sigma training", "back to school for dental hygiene"
    r"(?:looking\s+for|searching\s+for|school\s+for|college\s+for|studies\s+in)\s+"
    + _ARTICLE,
    r"(?:teach(?:es)?|teaching|train(?:s)?\s+(?:people\s+|staff\s+)?(?:in|on))\s+"
    + _ARTICLE,
    r"(?:need|needs|get|getting)\s+(?:my|our|their|his|her|a|an)\s+",
    r"^\s*(?:i\s+)?need\s+",  # "Need WHMIS and first aid for a new job"
    r"we\s+(?:need|want|require)\s+",  # an employer: "we need forklift training for 6 guys"
    # "to take a leadership course", "suivre une formation de secourisme" is caught above
    r"(?:take|taking|do|doing|follow)\s+(?:an?|some|the)\s+(?=[\w'-]+(?:\s+[\w'-]+){0,2}\s+"
    r"(?:course|courses|training|program|certificate|workshop)\b)",
    r"(?:me\s+)?(?:reorienter|recycler|reconvertir|former|perfectionner|specialiser)\s+"
    r"(?:vers|en|dans|comme)\s+" + _ARTICLE,
    r"(?:passer|aller|monter)\s+(?:a|vers|en)\s+" + _ARTICLE,
    r"(?:travailler|bosser|quelque\s+chose|job|emploi)\s+(?:en|dans)\s+" + _ARTICLE,
    r"(?:apprendre|etudier|ajouter|enseigner|enseignent|enseigne|ameliorer)\s+" + _ARTICLE,
    # "une formation courte en logistique", "des cours de jour en informatique"
    r"(?:formations?|cours|programmes?|certificats?|microcertifications?|competences?)\s+"
    r"(?:(?:courte?s?|intensi(?:f|ve)s?|rapides?|de\s+jour|du\s+soir|de\s+soir|en\s+ligne|"
    r"a\s+distance|gratuite?s?|en\s+personne)\s+)*(?:(?:en|de|sur|pour)\s+|d')" + _ARTICLE,
    r"(?:ma|mon|mes)\s+(?:carte|cartes|permis|licence|certificat|attestation|titre|diplome)\s+"
    r"(?:de\s+|d')" + _ARTICLE,
    r"(?:je\s+)?m'interesse\s+(?:a|aux|au)\s+" + _ARTICLE,
    # "Any business courses?", "des cours de soudure?": the words before the course noun
    r"(?:^\s*|(?<=[.!?,;])\s*|(?:do\s+you\s+have|are\s+there|is\s+there|got|you\s+got|"
    r"offer|offering|need|want)\s+)(?:any|some)\s+(?=[\w'-]+(?:\s+[\w'-]+){0,2}\s+(?:course|courses|"
    r"classes|programs?|training|certificates?|workshops?)\b)",
    r"(?:interesse(?:e)?\s+par|interesse(?:e)?\s+a)\s+" + _ARTICLE,
)
# What they like doing ("I hate it. I like computers", "j'aime les chiffres"): a field wanted
# only from someone who says they want out ("I'm a welder, I like the pay" wants nothing).
_LIKE_CUES = (
    r"(?<![\w'])i\s+(?:really\s+)?(?:like|love|enjoy)\s+"
    r"(?!to\b|it\b|that\b|this\b|my\b|our\b|working\b|work\b|the\s+pay\b)" + _ARTICLE,
    r"j'(?:aime|adore)\s+(?:bien\s+|beaucoup\s+)?(?=(?:les|le|la|l')\b)" + _ARTICLE,
)
_CURRENT = [re.compile(r"(?<![\w'])(?:" + cue + r")") for cue in _CURRENT_CUES]
# "I'm" and "je suis" open many things that are no job ("I'm in Kingston", "je suis prête"):
# after them the resolver must be sure, or find the title likely.
_WEAK_CUE = re.compile(r"(?:i'?m|i\s+am|je\s+suis|chu|j'suis|jsuis|i\s+was|j'etais|i\s+do|"
                       r"was\s+an?|laid\s+off\s+from|let\s+go|fired|"
                       r"worked\s+(?:in|on)(?:\s+(?:an?|the))?)\s+"
                       r"(?:currently\s+|now\s+|still\s+|presentement\s+|actuellement\s+)?$")
# English "I'm" with no article is rarely a job ("I'm interested", "I'm 19", "I'm in Barrie"):
# only a title the resolver is sure of ("I'm RPN").
_BARE_I_AM = re.compile(r"(?:i'?m|i\s+am)\s+(?:currently\s+|now\s+|still\s+)?$")
WEAK_CUE_LIKELY = 50.0
# "I'm a ...", "je suis ...": how a job is said, so a title the resolver finds less likely
# still counts (its words were checked against _NOT_A_JOB first).
_STATED_CUE = re.compile(r"(?:(?:i'?m|i\s+am|i\s+was)\s+(?:currently\s+|now\s+|still\s+)?"
                         r"an?|je\s+suis|chu|j'suis|jsuis|j'etais)\s+"
                         r"(?:presentement\s+|actuellement\s+|un\s+|une\s+)?$")
STATED_CUE_LIKELY = 30.0
# "start working as", "want to work as": a wish, not the job held.
_WISH_BEFORE = re.compile(r"(?:start|begin|to|wanna|gonna|like|love|want|hope|could|would|"
                          r"dream|plan|see\s+myself|pour|de|can\s+i|could\s+i)\s+$")
# Each cue on its own: cues overlap ("want to learn" / "learn about") and every start counts.
_TARGET_CUES = ([(re.compile(r"(?<![\w'])(?:" + c + r")"), "job") for c in _TARGET_JOB_CUES]
                + [(re.compile(r"(?<![\w'])(?:" + c + r")"), "field") for c in _TARGET_FIELD_CUES]
                + [(re.compile(r"(?<![\w'])(?:" + c + r")"), "liked") for c in _LIKE_CUES]
                + [(re.compile(r"(?<![\w'])(?:" + c + r")"), "title")
                   for c in _TARGET_TITLE_CUES])
_TARGET = re.compile(r"(?<![\w'])(?:" + "|".join(_TARGET_JOB_CUES + _TARGET_FIELD_CUES) + r")")
# A span that ends in "course" names the field before it ("a leadership course").
_FIELD_NOUNS = re.compile(r"\s+(?:course|courses|program|programs|training|certificate|"
                          r"certification|ticket|stuff|things|skills|licen[cs]e|exam|"
                          r"competences|cours|formation)$")
# A span opening with these names no job: a state, a person, a layoff ("I'm interested",
# "I'm a mom of 3", "je suis nouvelle arrivante", "j'ai été mise à pied").
_NOT_A_JOB = frozenset((
    "interested", "looking", "thinking", "trying", "hoping", "planning", "unemployed",
    "retired", "mom", "dad", "mother", "father", "parent", "single", "newcomer", "immigrant",
    "student", "employer", "beginner", "stay", "stay-at-home", "new", "recent", "big", "huge",
    "fan", "bit", "little", "lot", "quick", "person", "people", "woman", "man", "guy", "girl",
    "senior", "refugee", "grandmother", "grandfather", "nouvelle", "nouvel", "nouveau",
    "arrivante", "arrivant", "etudiante", "etudiant", "mere", "pere", "maman", "papa",
    "mise", "mis", "licencie", "licenciee", "congedie", "congediee", "renvoye", "renvoyee",
    "laid", "fired", "let", "off", "self", "here", "from", "of", "de", "du", "des", "d'",
    "about", "a", "au", "aux", "en", "dans", "sur", "la", "le", "les", "un", "une",
    "retraite", "retraitee", "allo", "hello", "hi", "hey", "bonjour", "bonsoir", "salut",
    "pret", "prete", "disponible", "libre", "motive", "motivee", "interesse", "interessee",
    "curieux", "curieuse", "perdu", "perdue", "tanne", "tannee", "fatigue", "fatiguee",
    "desole", "desolee", "content", "contente", "rendu", "rendue", "capable", "sur", "sure",
    "certain", "certaine", "inscrit", "inscrite", "ne", "nee", "originaire", "bilingue",
    "seul", "seule", "enceinte", "malade", "epuise", "epuisee", "tres", "vraiment", "toujours",
    "encore", "pas", "ici", "bien", "super", "burnt", "burned", "tired", "sick", "done",
    "ready", "able", "available", "free", "willing", "open", "sure", "not", "still", "also",
))
# A target span opening with these is no field ("looking for a job", "something in").
_GENERIC = frozenset((
    "job", "jobs", "work", "career", "change", "new", "program", "programs", "course",
    "courses", "class", "classes", "training", "help", "way", "option", "options", "some",
    "certificate", "info", "information", "advice", "emploi", "travail", "poste", "carriere",
    "cours", "formation", "formations", "programme", "programmes", "aide", "conseils",
    "of", "de", "du", "des", "d'", "en", "dans", "sur", "for", "in", "on", "a", "an", "the",
    "school", "college", "ecole", "back", "into", "place", "spot", "better", "good", "stable",
    # people, not fields: "need my crew certified in", "our supervisors to take"
    "crew", "team", "staff", "employees", "workers", "people", "supervisors", "managers",
    "assistants", "nurses", "techs", "technicians", "operators", "drivers", "equipe",
    "employes", "travailleurs", "gens", "kids", "children", "son", "daughter", "husband",
    "wife", "enfants", "fils", "fille", "mari", "femme", "more", "less", "higher", "money",
    "hours", "time", "plus", "moins", "argent", "temps",
))
# What the program should be like, not what it teaches ("a cheap online course", "free
# welding courses"): left out of the start of a field's span.
_QUALITIES = frozenset((
    "cheap", "cheaper", "affordable", "inexpensive", "free", "short", "quick", "fast", "good",
    "great", "easy", "flexible", "gratuit", "gratuite", "court", "courte", "rapide", "bon",
    "bonne", "petit", "petite", "abordable",
))
# One word that is no title alone, however sure the resolver ("general" of "general labourer").
_MODIFIERS = frozenset(("general", "senior", "junior", "head", "chief", "lead", "certified",
                        "licensed", "registered", "retired", "former", "new", "full", "part",
                        "self", "main", "principal", "general-"))
# A title does not end in a preposition ("mécanicien de" of "mécanicien de véhicules lourds").
_DANGLING = frozenset(("de", "d'", "du", "des", "a", "au", "aux", "en", "of", "in", "for", "the",
                       "la", "le", "les", "l'", "et", "and", "or", "ou"))
# A span ending in a named place: the job is before it ("pharmacienne en Algérie").
# (a capitalised word, not an acronym: "technicien en TI", "RN in ICU" keep theirs)
_PLACE_TAIL = re.compile(r"\s(?:en|in|à|a|au|aux|from|at|near|de)\s+[A-ZÀ-Ý][a-zà-ÿ'-]+"
                         r"(?:\s+[A-ZÀ-Ý][a-zà-ÿ'-]+)*$")
# Places beyond Ontario's regions (strip_places): "I want to work in Canada" names no field.
_COUNTRY = re.compile(r"(?<![\w'])(?:canada|ontario|quebec|here|ici|le|la|the|au|en|in)(?![\w'])")
_CONJUNCTIONS = frozenset(("and", "or", "et", "ou", "&", "pis", "plus"))
# Words that close a span (the prepositions inside titles are not among them: "director of
# nursing", "préposé aux bénéficiaires"; the resolver then keeps the part that is a title).
_STOP_WORDS = frozenset((
    "become", "becoming", "devenir", "etre", "get", "learn", "apprendre", "faire", "do",
    "ligne", "personne", "presentiel", "distance", "online", "person", "remote",
    "not", "sure", "looking", "going", "trying", "here", "also", "just", "only", "really",
    "very", "pas", "ne", "pret", "prete", "ici", "aussi", "juste", "seulement", "vraiment",
    "last", "next", "spring", "summer", "fall", "autumn", "winter", "yesterday", "today",
    "dernier", "derniere", "passe", "prochain", "printemps", "ete", "automne", "hiver", "for",
    "since", "at", "in", "from", "with", "and", "but", "so", "because", "or", "who", "when",
    "where", "while", "until", "then", "to", "on", "by", "this", "that", "these", "those",
    "now", "currently", "still", "years", "year", "yrs", "months", "month", "weeks", "days",
    "ago", "experience", "online", "evenings", "weekends", "near", "around", "about", "i",
    "i'm", "im", "my", "me", "we", "our", "it", "is", "was", "am", "are", "be", "been", "have",
    "has", "had", "can", "could", "would", "will", "should", "like", "want", "looking", "need",
    "hoping", "pour", "depuis", "chez", "avec", "et", "mais", "donc", "parce", "ou", "qui",
    "quand", "pendant", "puis", "ce", "cette", "ces", "maintenant", "encore", "ans", "an",
    "mois", "semaines", "jours", "d'experience", "je", "j'ai", "mon", "ma", "mes", "nous",
    "notre", "c'est", "est", "etait", "suis", "veux", "voudrais", "aimerais", "cherche",
    "besoin", "after", "before", "apres", "avant", "eventually", "someday", "soon", "asap",
    "right", "back", "into", "there", "something", "somthing", "anything", "quelque",
    "qqch", "going", "moving", "taking", "doing", "getting", "starting", "finding", "making",
    "having", "being", "leaving", "staying", "coming", "jour", "soir", "nights", "days",
    "full-time", "part-time", "if", "si", "maybe", "peut-etre", "please", "pls", "svp",
    "dans", "make", "makes", "earn", "earns", "gagne", "gagnent", "program", "programs",
    "course", "courses", "training", "certificate", "diploma", "programme", "formation",
    "certificat", "cost", "costs", "coute", "coutent", "in demand", "demand", "hiring",
    # "help me become one": a job named before, not one to look up
    "one", "ones", "them", "him", "her", "un", "une", "ca", "cela", "celui-la", "celle-la",
))
_BOUNDARY = re.compile(r"[.,;:!?()\[\]\n/]|\s-\s|\s+(?:but|mais|and then|et puis)\s+")
_WORD = re.compile(r"[\w'+#&-]+")


# "what programs would help me become one?", "comment en devenir un?": the job talked about
# before, not a title to look up.
_BECOME_ONE = re.compile(r"(?<![\w'])(?:become|becoming|be|devenir)\s+(?:one|un|une)(?![\w'-])")


# A credential in the trade the learner has, not a job to become: "get my red seal".
_CREDENTIAL = re.compile(
    r"(?:(?:my|the|a|mon|ma|le|la|un|une)\s+)?(?:red\s*seal|sceau\s+rouge|ticket|journeyman|"
    r"journeyperson|journeyman\s+ticket|c\s+of\s+q|certificate\s+of\s+qualification|"
    r"certificat\s+de\s+qualification|licen[cs]e|permis|papers|cartes?\s+de\s+competence|"
    r"certification|ccq|carte)(?:\s+(?:exam|examen|ticket|certification))?")


def names_credential(text: str) -> bool:
    """Whether ``text`` is a credential of a trade ("red seal", "mon sceau rouge", "my C of
    Q"), not an occupation."""
    return bool(_CREDENTIAL.fullmatch(" ".join(fold(text).split())))


def wants_job_named_before(text: str) -> bool:
    """Whether ``text`` wants "one" of the job named earlier in the conversation."""
    return isinstance(text, str) and _BECOME_ONE.search(fold(text[:MAX_CHARS])) is not None


def read_message(text: str, lang: Lang | None = None, previous: Constraints | None = None,
                 index: TitleIndex | None = None) -> MessageReading:
    """Everything a message says about the learner's jobs, goal and limits."""
    if not isinstance(text, str):
        text = ""
    text = text[:MAX_CHARS]
    current, target = find_jobs(text, lang, index)
    limits = read_limits(text, previous)
    held = current.nocs[:1] if current is not None else ()
    goal = parse_goal(text, held, _wanted(target, held))
    return MessageReading(current, target, goal, limits.constraints, limits.preferences,
                          limits.questions)


def _wanted(target: JobMention | None, held: tuple[str, ...]) -> tuple[str, ...]:
    """The unit group of the occupation wanted. A field or skill names one only when it is
    near the job held ("wound care" for a nurse): learning "estimating" as a drywaller is
    upskilling, whatever unit group estimators are in."""
    if target is None:
        return ()
    if target.skill is None:
        return target.nocs[:1]
    near = [noc for noc in target.nocs[:3] if held and _one_line(held[0], noc)]
    return tuple(near[:1])


def _one_line(have: str, want: str) -> bool:
    return len(have) == len(want) == 5 and have[0] == want[0] and have[2] == want[2]


def find_jobs(text: str, lang: Lang | None = None, index: TitleIndex | None = None
              ) -> tuple[JobMention | None, JobMention | None]:
    """The job the message says the learner has, and the job or field they want."""
    text = foldable(text)  # spans are found in the folded text and cut from this one
    folded = fold(text)
    target = None
    # At one start the longer cue first ("get back to work as" before "get").
    cues = sorted(((m.start(), -m.end(), kind) for pattern, kind in _TARGET_CUES
                   for m in pattern.finditer(folded)), key=lambda c: (c[0], c[1]))
    wants_out = says_wants_out(text)
    for _start, end, kind in cues[:MAX_CUES]:
        if kind == "liked" and not wants_out:
            continue
        target = _mention_after(text, folded, -end, lang, index,
                                "field" if kind == "liked" else kind)
        if target is not None:
            break
    current = None
    tried = 0
    for pattern in _CURRENT:  # strongest cue first
        for match in pattern.finditer(folded):
            tried += 1
            if tried > MAX_CUES:
                break
            if target is not None and _overlaps(match, target, text):
                continue
            if _WISH_BEFORE.search(folded[max(0, match.start() - 20):match.start()]):
                continue
            current = _mention_after(text, folded, match.end(), lang, index, "current")
            cue = folded[match.start():match.end()]
            weak = _WEAK_CUE.search(cue) is not None
            if current is not None and _BARE_I_AM.search(cue) and not current.clear:
                current = None
            likely = STATED_CUE_LIKELY if _STATED_CUE.search(cue) else WEAK_CUE_LIKELY
            if current is not None and weak and not current.clear and (
                    current.resolution is None or not current.resolution.candidates
                    or current.resolution.candidates[0].score < likely):
                current = None
            if current is not None and (target is None or current.text != target.text):
                break
            current = None
        if current is not None:
            break
    if current is None:
        current = _bare_title(text, folded, lang, index, exclude=target)
    if current is not None and speaks_for_staff(text):
        current = None  # "HR manager here. We need our supervisors to ...": no learner's job
    return current, target


_SENTENCES = re.compile(r"[^.!?]*[.!?]?")


def job_asked_about_in(text: str, lang: Lang | None = None, index: TitleIndex | None = None
                       ) -> JobMention | None:
    """The job a wage or outlook question asks about: the one the sentence that asks names
    ("I'm a PSW and I want to become an RPN. How much do PSWs make?": the PSW's), else the
    one the message wants."""
    asking = [part for part in _SENTENCES.findall(text[:MAX_CHARS])
              if part.strip().endswith("?")]
    _held, asked = find_jobs(asking[-1] if asking else text, lang, index)
    return asked if asked is not None and asked.nocs else None


def _overlaps(match: re.Match[str], mention: JobMention, text: str) -> bool:
    at = text.find(mention.text)
    return at >= 0 and match.start() <= at + len(mention.text) and at <= match.end()


def _is_kept(word: str, text: str, start: int, end: int) -> bool:
    """A stop word typed as an acronym is kept: "a career in IT"."""
    return word == "it" and text[start:end] == "IT"


def _span_words(text: str, folded: str, start: int, joined: bool = False
                ) -> list[tuple[str, int, int]]:
    """The words after ``start`` up to the clause's end or a stop word: (word, start, end).
    ``joined``: a field goes on over "and" / "ou" ("python and data analysis")."""
    end = len(folded)
    boundary = _BOUNDARY.search(folded, start)
    if boundary is not None:
        end = boundary.start()
    words: list[tuple[str, int, int]] = []
    matches = list(_WORD.finditer(folded, start, end))
    for i, match in enumerate(matches):
        word = match.group()
        if joined and words and word in _CONJUNCTIONS and i + 1 < len(matches) and (
                matches[i + 1].group() not in _STOP_WORDS or _is_kept(
                    matches[i + 1].group(), text, *matches[i + 1].span())):
            words.append((word, match.start(), match.end()))
            continue
        # A span starts right where its cue (or clause) ends: "je ne veux pas payer" opens
        # no title, and "formation en ligne" names no field.
        if (word in _STOP_WORDS and not _is_kept(word, text, *match.span())) or word.isdigit():
            break
        words.append((word, match.start(), match.end()))
        if len(words) >= MAX_SPAN_WORDS:
            break
    while words and words[-1][0] in _CONJUNCTIONS:
        words.pop()
    return words


def _mention_after(text: str, folded: str, start: int, lang: Lang | None,
                   index: TitleIndex | None, kind: str) -> JobMention | None:
    """The job (or field) named right after a cue: the longest part of the span, from its
    start, that reads as a title; for a field cue, the span itself is the skill."""
    words = _span_words(text, folded, start, joined=kind == "field")
    if kind != "current":
        while words and words[0][0] in _QUALITIES:
            words = words[1:]
    if not words:
        return None
    first = words[0][0]
    if (kind == "current" and first in _NOT_A_JOB) or (kind != "current" and first in _GENERIC):
        return None
    whole = text[words[0][1]:words[-1][2]]
    field_words = _FIELD_NOUNS.sub("", whole) if kind in ("job", "field") else whole
    if not _COUNTRY.sub(" ", strip_places(fold(field_words))).strip():
        return None  # "classes in Windsor", "want to work in Canada", "worked in Canada"
    if kind != "current" and names_credential(field_words):
        return None  # "want to get my red seal": their own trade's credential
    if kind == "title":  # "want RPN": only a title the resolver is sure of, or finds likely
        parts = [text[words[0][1]:words[n - 1][2]] for n in range(len(words), 0, -1)]
        for part, res in zip(parts, resolve_titles(parts, lang, index=index), strict=True):
            if fold(part) in _MODIFIERS or _PLACE_TAIL.search(part) or not res.candidates or (
                    res.status == "none") or (
                    res.status != "clear" and res.candidates[0].score < TITLE_LIKELY):
                continue  # "infirmière auxiliaire à Ottawa" -> "infirmière auxiliaire"
            return JobMention(part, tuple(c.noc for c in res.candidates),
                              res.status == "clear", None, res)
        return None
    if kind == "field":
        # "soins palliatifs en français": the language is a limit, the field what is before
        field_words = _without_dangling(_LANGUAGE_TAIL.sub("", field_words) or field_words)
        res = resolve_title(field_words, lang, index=index)
        nocs = tuple(c.noc for c in res.candidates) if res.status != "none" else ()
        return JobMention(field_words, nocs, res.status == "clear", field_words, res)
    # The longest part, from the span's start, that the resolver is sure of; else the longest
    # that reads as a title at all ("machinist last spring" -> "machinist").
    found: JobMention | None = None
    spans = [text[words[0][1]:words[n - 1][2]] for n in range(len(words), 0, -1)]
    # One batch: the meanings of all the parts are encoded together (~3x cheaper than apart).
    for span, res in zip(spans, resolve_titles(spans, lang, index=index), strict=True):
        if res.status == "none" or not res.candidates:
            continue
        if fold(span) in _MODIFIERS or _WORD.findall(fold(span))[-1] in _DANGLING or (
                _PLACE_TAIL.search(span)):
            continue  # "general", "mécanicien de", "pharmacienne en Algérie": not a title
        nocs = tuple(c.noc for c in res.candidates)
        mention = JobMention(span, nocs, res.status == "clear",
                             span if kind == "job" and res.status != "clear" else None, res)
        if mention.clear:
            return mention
        found = found or mention
    if found is not None:
        return found
    if kind == "job":  # no occupation by that name: a field to learn ("machine learning")
        return JobMention(field_words, skill=field_words)
    return None


_LANGUAGE_TAIL = re.compile(r"(?i)\s+(?:in|en)\s+(?:french|english|fran[cç]ais|anglais)\s*$")


def _without_dangling(span: str) -> str:
    """``span`` without the prepositions it ends with once a closing word was cut off."""
    words = list(_WORD.finditer(span))
    while len(words) > 1 and fold(words[-1].group(0)) in _DANGLING:
        words.pop()
    return span[:words[-1].end()] if words else span


# A clause that asks ("How much does the PSW program cost") is no job held.
_QUESTION_START = re.compile(r"^\s*(?:how|what|what's|whats|which|where|when|why|who|is|are|"
                             r"can|could|do|does|did|will|would|should|est-ce|combien|comment|"
                             r"pourquoi|quel|quels|quelle|quelles|c'est|y'a|ya)(?![\w'])")


def _bare_title(text: str, folded: str, lang: Lang | None, index: TitleIndex | None,
                exclude: JobMention | None) -> JobMention | None:
    """A title with no cue, at the start of the message or as a clause of its own ("PSW,
    want RPN, online", "Bartender at a pub downtown for 6 years"): the resolver must be
    sure of it, or, opening the message, find it likely (then the learner is asked which)."""
    start = 0
    candidates: list[tuple[int, str]] = []  # (clause position, span)
    for position, boundary in enumerate([*_BOUNDARY.finditer(folded), None]):
        end = boundary.start() if boundary is not None else len(folded)
        clause_start = start
        start = boundary.end() if boundary is not None else len(folded)
        words = _span_words(text, folded[:end], clause_start)
        clause_words = _WORD.findall(folded[clause_start:end])
        if not words or (position > 0 and len(clause_words) > 3):
            continue
        if _TARGET.search(folded[clause_start:end]) or _QUESTION_START.match(
                folded[clause_start:end]):
            continue
        if words[0][0] in _NOT_A_JOB or fold(text[words[0][1]:words[-1][2]]) in _MODIFIERS:
            continue
        span = text[words[0][1]:words[-1][2]]
        if exclude is not None and (span in exclude.text or exclude.text in span):
            continue
        candidates.append((position, span))
        if len(candidates) >= MAX_CLAUSES:
            break
    spans = [span for _position, span in candidates]
    for (position, span), res in zip(candidates, resolve_titles(spans, lang, index=index),
                                     strict=True):
        likely = res.status == "ambiguous" and position == 0 and res.candidates and (
            res.candidates[0].score >= BARE_LIKELY)
        if res.candidates and (res.status == "clear" or likely):
            return JobMention(span, tuple(c.noc for c in res.candidates),
                              res.status == "clear", None, res)
    return None
