"""How big a manifest and its parts may be: ICE's documented limits, and ours where it documents none.

Ours exist so that nothing in a manifest can make validation, the local engine or an ICE job
unbounded; each is documented in the README ("Limits") with its reason. A light module: the
settings and the models both read it.
"""

from __future__ import annotations

# -- the document
# Default of HIGHLIGHTS_MAX_MANIFEST_BYTES. A manifest with every array and text below at its limit,
# in CJK (3 bytes a character) and with 2,048-character references, is 3.6 MB of compact JSON
# (benchmarks/bench_manifest.py, "maximal"); 4 MiB holds it, and stays a small read.
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64  # nested objects and arrays; the contract's own nest 7 deep
MAX_NUMBER_DIGITS = 40  # integer literals: beyond 128-bit ids, far below int()'s 4,300
MAX_OBJECT_KEYS = 100  # keys of one object (the largest of the contract has 22); not TemplateConfig
MAX_PROBLEMS = 200  # errors listed per manifest; more are counted, not listed

# -- ICE's documented limits (movie highlights page and related pages)
MAX_TITLES = 50  # TitleArray, and titles per sub-heading level
MAX_TITLE_CHARS = 50
MAX_SUB_HEADINGS = 5  # one per level, levels 1-5
MAX_SCRIPTS = 50  # SpeechTextArray
MAX_SCRIPT_CHARS = 1000  # each narration script, and each shot's SpeechText
MAX_STICKERS = 50
MAX_MUSIC = 50
MAX_BACKGROUND_IMAGES = 50
MAX_FACES = 200
MAX_OUTPUTS = 100  # OutputConfig.Count
MAX_VOLUME = 10.0

# -- ours
# ICE takes at most 2 hours of film; 100 files of it average over a minute each. Every file is
# probed and analysed (one decode pass) before matching.
MAX_MEDIA = 100
# The largest storyboard the benchmarks call legal; each shot is a segment, a contact-sheet frame
# and a matching problem.
MAX_SHOTS = 100
# A shot without narration plays its source for Duration seconds: shorter than half a second is a
# flash (ICE skips transitions on clips under a second), longer than ten minutes is not a highlight.
MIN_SHOT_SECONDS = 0.5
MAX_SHOT_SECONDS = 600.0
# Sum of a storyboard's Durations: a highlight video of at most half an hour of silent shots.
MAX_SILENT_SECONDS = 1800.0
# Sum of a storyboard's SpeechText: five global-narration scripts, about 20 minutes of Mandarin.
MAX_STORYBOARD_SPEECH_CHARS = 5 * MAX_SCRIPT_CHARS
# A shot's ScriptText, and each of its Descriptions and Settings ("one or two sentences" each).
MAX_SHOT_TEXT_CHARS = 1000
MAX_SHOT_ITEM_CHARS = 300
MAX_SHOT_ITEMS = 10  # Descriptions, and Settings, of one shot
MAX_SHOT_CHARACTERS = 20  # Characters of one shot
MAX_NAME_CHARS = 128  # a face's Name (ICE's ImageInfo limit), and so each of a shot's Characters
MAX_EFFECT_NAMES = 100  # TransitionList, FilterList and the Vfx lists
# Pixel positions and sizes: twice the largest output side, like the console's FECanvas.
MAX_PIXELS = 8192
MAX_CAPTION_STROKE = 100  # Outline and Shadow, pixels
MAX_CAPTION_SPACING = 1000  # |Spacing|, pixels
MAX_TRANSITION_SECONDS = MAX_SHOT_SECONDS  # longer than its clip minus 1 s, ICE skips it anyway

# -- text: control characters (C0, DEL, C1) are refused in every string of the contract except:
# titles and sub-headings keep \n (an explicit line break, which the banner keeps); narration and
# shot texts keep \n, \r and \t (prose pasted from documents; speech and captions read them as a
# line break or a space). UserData and TemplateConfig are passed on as JSON and not checked.
CONTROL_CHARACTERS = r"[\x00-\x1f\x7f-\x9f]"
TITLE_CONTROL_CHARACTERS = r"[\x00-\x09\x0b-\x1f\x7f-\x9f]"
SCRIPT_CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
