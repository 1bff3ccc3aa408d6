"""Data tables for the title resolver: abbreviations, spelling variants, noise and seniority words.

All keys are *folded* (lower case, no accents, no punctuation: see ``normalize.normalize``).
Expansions are written as people would spell them; they go through the same normalisation as
the published titles. An abbreviation with several expansions ("ea") yields one query variant per
expansion and the resolver keeps the best score per NOC, so a genuinely ambiguous abbreviation
comes back "ambiguous".

Acronyms that the NOC example titles spell out themselves ("early childhood educator (ECE)",
"computer numerical control (CNC) machinist", "registered practical nurse (R.P.N.)") are also
learnt from the data when the index is built; the tables below add the ones people use in
Ontario that the published titles never show (PSW, CSR, AZ driver, ...) or show differently.
"""

from __future__ import annotations

# English (and language-neutral) abbreviations -> expansions.
EN_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    # --- health care (Ontario job-board usage) ---
    # PSW is the Ontario name of two NOC groups: nurse aides in hospitals and long-term care
    # (33102) and home support workers (44101). One expansion per group, so both come back
    # equally and the chat asks which setting.
    "psw": ("personal support worker - nursing care", "personal support worker - home support"),
    # PSSP: the Ontario French acronym of PSW, used by francophones writing in English too.
    "pssp": ("personal support worker - nursing care", "personal support worker - home support"),
    # College of Nurses of Ontario classes: RPN = registered practical nurse (32101).
    "rpn": ("registered practical nurse",),
    "rn": ("registered nurse",),
    "lpn": ("licensed practical nurse",),
    "np": ("nurse practitioner",),
    "rmt": ("registered massage therapist",),  # Ontario-regulated title (32201)
    "pt": ("physiotherapist",),  # also "part-time": see AMBIGUOUS_SHORT
    "ot": ("occupational therapist",),
    "slp": ("speech language pathologist",),
    "rt": ("respiratory therapist",),
    "emt": ("emergency medical technician",),
    "pcp": ("primary care paramedic",),  # Ontario paramedic levels
    "acp": ("advanced care paramedic",),
    "rdh": ("registered dental hygienist",),
    "pharm": ("pharmacy", "pharmacist"),  # "pharm tech", "pharm assistant"
    "vet": ("veterinary", "veterinarian"),  # "vet tech" vs "vet"
    # --- education and social services (Ontario college programs) ---
    "ece": ("early childhood educator",),  # RECE title (42202)
    "rece": ("registered early childhood educator",),
    "ea": ("educational assistant", "executive assistant"),  # school EA vs office EA
    "dsw": ("developmental service worker",),
    "cyw": ("child and youth worker",),
    "sw": ("social worker",),
    "msw": ("social worker",),
    "ta": ("teaching assistant",),
    # --- trades and manufacturing ---
    "cnc": ("computer numerical control",),
    # PLC work has no NOC title of its own: automation technicians (22301), control systems
    # engineers (21310), instrumentation technicians (22312): one reading each (ambiguous).
    "plc": ("automation technician", "control systems engineer", "instrumentation technician"),
    "hvac": ("heating ventilation air conditioning",),
    "az": ("truck driver",),  # Ontario class AZ licence = tractor-trailer driver (73300)
    "dz": ("truck driver",),  # class DZ = straight truck driver (73300)
    "gc": ("general contractor",),
    "elec": ("electrician", "electrical"),
    "mech": ("mechanic", "mechanical"),
    "maint": ("maintenance",),
    "gen": ("general",),  # "gen labourer"
    # --- office, IT, business ---
    "it": ("information technology",),  # a pronoun too: see AMBIGUOUS_SHORT
    "dev": ("developer", "development"),
    "devs": ("developer",),
    "swe": ("software engineer",),
    "sde": ("software development engineer",),
    "dba": ("database administrator",),
    "sysadmin": ("system administrator",),
    "qa": ("quality assurance",),
    "qc": ("quality control",),
    "ux": ("user experience",),
    "ui": ("user interface",),
    "ba": ("business analyst",),
    "pm": ("project manager",),
    "hr": ("human resources",),
    "admin": ("administrative assistant", "administrative", "administrator"),
    "csr": ("customer service representative",),
    "cpa": ("chartered professional accountant",),
    "acct": ("accountant", "accounting"),
    "mgr": ("manager",),
    "mgmt": ("management",),
    "asst": ("assistant",),
    "tech": ("technician", "technologist"),
    "techs": ("technician",),
    "eng": ("engineer", "engineering"),
    "engr": ("engineer",),
    "coord": ("coordinator",),
    "rep": ("representative",),
    "reps": ("representative",),
    "supv": ("supervisor",),
    "supvr": ("supervisor",),
    "dir": ("director",),
    "vp": ("vice president",),
    "ceo": ("chief executive officer",),
    "cfo": ("chief financial officer",),
    "coo": ("chief operating officer",),
    "cto": ("chief technology officer",),
    "cio": ("chief information officer",),
    "gm": ("general manager",),
    "ops": ("operations",),
    "mktg": ("marketing",),
    "recept": ("receptionist",),
    "prof": ("professor",),
    "cust": ("customer",),
    "svc": ("service",),
    "auto": ("automobile", "automotive"),  # "auto mechanic" = automobile mechanic (72410)
    # Ride-hailing drivers are coded with taxi and limousine drivers (75200).
    "uber": ("taxi",),
    "lyft": ("taxi",),
}

# French abbreviations -> expansions (Ontario French and Quebec usage).
FR_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    # Francophones in Ontario say "PSW" too; the French titles are "préposé aux bénéficiaires"
    # (33102) and "... - soins à domicile" (44101): both, as in English.
    "psw": ("préposé aux bénéficiaires", "préposé aux bénéficiaires - soins à domicile"),
    # "préposé(e) aux services de soutien à la personne" (PSSP): Ontario French for PSW.
    "pssp": ("préposé aux bénéficiaires", "préposé aux bénéficiaires - soins à domicile"),
    "pab": ("préposé aux bénéficiaires", "préposé aux bénéficiaires - soins à domicile"),
    # "IA": infirmière auxiliaire in Quebec, infirmière autorisée in Ontario French.
    "ia": ("infirmière auxiliaire", "infirmière autorisée"),
    "rpn": ("infirmière auxiliaire autorisée",),
    "epe": ("éducatrice de la petite enfance",),  # Ontario French for ECE
    "epei": ("éducatrice de la petite enfance",),  # "... inscrite" (registered ECE)
    "ece": ("éducatrice de la petite enfance",),
    "tes": ("technicien en éducation spécialisée",),  # Quebec; "tes" is also a word
    "educ": ("éducateur",),
    "spe": ("spécialisé",),  # "éduc spé"
    # "CNC" is also what French speakers say; the French titles spell out "commande numérique
    # par ordinateur (CNC)", whose initials do not spell CNC, so it is not learnt from the data.
    "cnc": ("commande numérique par ordinateur",),
    "cn": ("commande numérique",),
    "cvc": ("chauffage ventilation climatisation",),
    "rh": ("ressources humaines",),
    "ti": ("technologies de l'information",),
    "cpa": ("comptable professionnel agréé",),
    "dev": ("développeur",),
    "tech": ("technicien",),
    "ing": ("ingénieur",),
    "admin": ("adjoint administratif", "administratif"),
    "rep": ("représentant",),
    "dg": ("directeur général",),
    "pdg": ("président-directeur général",),
    "mecano": ("mécanicien",),  # colloquial
    "prof": ("professeur", "enseignant"),
}

# Workplaces named with a title: dropped from it, and telling which one a bare generic
# title means ("préposée en CHSLD", a long-term care centre: préposée aux bénéficiaires;
# "aide de cuisine en CHSLD" stays a kitchen helper).
WORKPLACES: dict[str, dict[str, str]] = {
    "chsld": {"prepose": "préposé aux bénéficiaires", "preposee": "préposée aux bénéficiaires"},
}

# One-word titles that NOC publishes mostly inside longer ones of one unit group ("teacher -
# business college": college instructors) while people typing the word alone mean any of
# several: their readings, as for an abbreviation, so the chat asks which. Only when the
# word is the whole title ("secondary school teacher" is read as it is).
ONE_WORD_READINGS: dict[str, tuple[str, ...]] = {
    "teacher": ("elementary school teacher", "secondary school teacher", "college teacher"),
    "teachers": ("elementary school teacher", "secondary school teacher", "college teacher"),
    "enseignant": ("enseignant au primaire", "enseignant au secondaire",
                   "enseignant au niveau collégial"),
    "enseignante": ("enseignante au primaire", "enseignante au secondaire",
                    "enseignante au niveau collégial"),
}

# Abbreviations that are also ordinary words or stand for other things: expanded only when
# typed in capitals ("IT", "EA", "PT") or when they are the whole query; the word itself is
# kept as another reading.
AMBIGUOUS_SHORT = frozenset({"it", "ea", "pt", "ta", "ba", "pm", "hr", "tes", "ia", "ti", "gen",
                             "dir", "prof", "vet", "spe", "ing"})

# Word sequences people use for a field that the NOC titles name otherwise, rewritten before
# the search (folded words). "Health-care admin" is what Ontario job boards call medical
# administrative assistants (13112); "health care" alone stays as typed (nurse aides use it).
FIELD_PHRASES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("health", "care", "admin"): ("medical", "admin"),
    ("healthcare", "admin"): ("medical", "admin"),
    ("health", "care", "administrative"): ("medical", "administrative"),
    ("healthcare", "administrative"): ("medical", "administrative"),
    ("health", "care", "office"): ("medical", "office"),
    ("healthcare", "office"): ("medical", "office"),
    ("health", "care", "receptionist"): ("medical", "receptionist"),
    ("healthcare", "receptionist"): ("medical", "receptionist"),
}

# American -> Canadian spellings used in the NOC titles (two edits away, so typo correction
# alone does not always bridge them).
SPELLING_VARIANTS: dict[str, str] = {
    "laborer": "labourer",
    "laborers": "labourers",
    "labor": "labour",
    "center": "centre",
    "theater": "theatre",
    "counselor": "counsellor",
    "jewelry": "jewellery",
    "jeweler": "jeweller",
    "mold": "mould",
    "molder": "moulder",
    "molding": "moulding",
    "catalog": "catalogue",
    "defense": "defence",
    "traveler": "traveller",
    "color": "colour",
    "fiber": "fibre",
    "meter": "metre",
}

# Phrases around the title, removed from queries (folded, elisions already dropped:
# "j'étais" -> "etais", "i'm" -> "im"). Longest first is handled by the resolver.
NOISE_PHRASES: tuple[str, ...] = (
    # English
    "i work as", "i am working as", "im working as", "i worked as", "i have worked as",
    "i ve worked as", "ive worked as", "i used to work as", "i used to be", "i was",
    "i am", "im", "i m", "i work in", "i work", "my job is", "my job title is", "my title is",
    "my position is", "my occupation is", "my profession is", "my current job is",
    "my last job was", "my job was", "currently", "working as", "work as", "job title",
    "looking for work as", "looking for a job as", "looking for a job", "i want to be",
    "i would like to be", "id like to be", "formerly", "former", "retired", "previously",
    "ex", "years experience", "years of experience", "experience as", "job as",
    # French
    "je suis", "etais", "je travaille comme", "je travaillais comme",
    "je travaille en tant que", "je travaillais en tant que", "ai travaille comme",
    "ai travaille en tant que", "ai ete", "mon emploi est", "mon metier est", "mon poste est",
    "mon titre est", "ma profession est", "mon travail est", "en tant que", "comme",
    "anciennement", "ancien", "ancienne", "actuellement", "je travaille", "je cherche un emploi",
    "je veux devenir", "retraite", "retraitee",
)

# Words that say nothing about the occupation in a query (pronouns, fillers).
QUERY_STOPWORDS = frozenset({
    "i", "me", "my", "am", "is", "was", "be", "been", "job", "jobs", "position", "title",
    "now", "here", "hi", "hello", "please", "je", "suis", "mon", "ma", "mes", "est",
    "years", "year", "ans", "an", "annees",
})

# Seniority and grade words: optional in a query. They count when a title has them ("senior
# manager", "lead hand", "ingénieur principal") and cost nothing when it has not.
OPTIONAL_WORDS = frozenset({
    "senior", "sr", "snr", "junior", "jr", "jnr", "lead", "intermediate", "entry", "level",
    "experienced", "principal", "principale", "staff", "head", "ii", "iii", "iv", "trainee",
    "apprentice", "certified", "licensed", "registered", "qualified", "journeyman",
    "experimente", "experimentee", "debutant", "debutante", "stagiaire", "apprenti",
    "apprentie", "chief",
})
