"""NPS: the 0-10 "how likely are you to recommend" score per interview, its class and its reasons.

Public API:
- `parse_score(text) -> int | None`: a spoken or written score ("probably an eight", "8/10",
  "nine out of ten", "a solid 7", "I'd say 9", "Ten, no question") or None.
- `is_nps_question(text) -> bool`: does the interviewer ask for the 0-10 recommendation score?
- `extract(quotes) -> list[NpsResult]`: one result per interview that states a score, with the
  quote that states it and the ids of its reason quotes (category `nps_reason`).
The band of a score (promoter / passive / detractor) is `vocab.nps_band`.
When the transcript has no readable score, `nps_audio` listens to the answer again.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from .models import Quote
from .vocab import NUMBER_WORDS, nps_band

_NUM = (
    r"(?:10|[0-9](?:[.,]5)?|zero|nought|one(?!\s+(?:of|that|which|who|more|thing|i|day|time)\b)"
    r"|two|three|four|five|six|seven|eight|nine|ten)"
)
# The words around a score in the languages whose numbers `vocab.digits_for_number_words` turns
# into digits first (text2num's da, de, es, fr, it, nl, pt; the tables' fi, nb, sv): one reader
# for every language, so each list is a union. Said in another language, "Wir sind seit 3 Jahren
# Kunde, ich gebe eine 8" or "Hace dos años un nueve, ahora un seis" read as no score at all.
_OF_TEN = r"(?:/|out of|outta|of|von|ud af|av|af|uit|op|sur|de|su|em|kautta)"
_OUT_OF = re.compile(rf"\b({_NUM})\s*{_OF_TEN}\s*(?:10|ten)\b", re.I)
# A number with a cue that it is being given as a rating.
_CUED = re.compile(
    rf"(?:\b(?:a|an|maybe|probably|possibly|perhaps|say|said|give it|give them|give you|go with|"
    rf"rate it|rating|score|solid|strong|easy|easily|definitely|like|about|around|honestly|"
    rf"it'?s|that'?s|i'?m at|at|be"
    # an article or a verb of giving or saying a score, in the other languages
    rf"|eine[nr]?|ne|en|et|ett|een|une?|una|uma?|sagen|gebe|geben|gäbe|würde|giver|giv|sige|siger|ger|ge|säga"
    rf"|geef|geven|zeggen|donne|donnerais|dirais|mettrais|dis|daría|diría|doy|pondría|darei|direi|daria|diria|dou"
    rf"|vielleicht|wahrscheinlich|etwa|ungefähr|nok|måske|kanske|misschien|ongeveer|peut-être|environ|quizás|tal vez|forse|talvez)"
    rf"\s+(?:a |an )?(?:solid |strong |easy |high |low |good |firm |solide |glatte |klare |gute |god |godt |bon |buen |goed )?)({_NUM})\b",
    re.I,
)
_LEADING = re.compile(
    rf"^\W*(?:(?:um+|uh+|hmm+|oh|well|so|yeah|okay|ok|oof|ah|äh+m*|öh+m*|øh+m*|tja|na ja|naja|altså|jo|ja"
    rf"|nå|euh|ben|bah|bon|alors|pues|bueno|eh|nou|tja)\W+)*({_NUM})\b", re.I)
_DENOMINATOR = re.compile(rf"\b(?:out of|outta|von|ud af|uit|sur)\s*(?:an? )?{_NUM}\b", re.I)  # a scale's end, never the score
# A number denied ("It's not a ten because...", "I wouldn't give it a ten, maybe an eight"; "keine
# Zehn", "ikke en tier", "pas 10", "no un diez") is the score the speaker did not give: never
# read as the score (the reason after a misheard score often says which score it is not).
_DENIED = re.compile(
    rf"(?:\bnot|n't|\bnever|\bless than|\bshort of|\brather than|\binstead of"
    rf"|\bnicht|\bkeine?[nr]?|\bikke|\binte|\bniet|\bgeen|\bpas|\bno|\bnon|\bnão|\bnunca|\bjamais|\bei)\s+"
    rf"(?:(?:quite|really|exactly|yet|even|give (?:it|them|you|us)|be|going to be|gonna be|ganz|helt|heel|tout à fait|del todo)\s+)*"
    rf"(?:a |an |eine |ein |en |et |ett |een |une? |una |uma? )?(?:perfect |full |solid |strong |clean |perfekte |volle |glatte )?{_NUM}\b", re.I)
# A score taken back after it is said ("Ten out of ten I wouldn't say, more like an eight"; "A ten?
# No, an eight"; "Seven, no, eight"; "Zehn von zehn würde ich nicht sagen, eher acht"; "Dix, je ne
# dirais pas"): the denial follows the number. Only read as one when another number is left to be
# the score, so "Ten, no question" and "Nine, I wouldn't change a thing" keep theirs.
_DENIED_AFTER = re.compile(
    rf"\b{_NUM}(?:\s*{_OF_TEN}\s*(?:10|ten))?\s*(?:[?!]\s*|,\s*|\.\s*|\s)"
    rf"(?:(?:i|we|ich|wir|je|jeg|jag|ik|yo)\s+)?"
    # a modal denial only of saying or giving the score ("I wouldn't say", "I wouldn't."), not of
    # something else ("Nine, I wouldn't change a thing")
    rf"(?:(?:(?:would|could|can|will|do|did)(?:n't|\s+not)|'d\s+not|won't)"
    rf"(?:\s+(?:say|give|go|call|rate|put)(?:\s+(?:it|that|them|so|as|quite))?(?:\s+(?:far|high))?)?(?=\s*(?:[,.;!?]|$))|not\s+(?:really|quite)"
    # a bare "no" on its own, or correcting itself ("No, more an eight"), not "No complaints"
    rf"|(?:no|nah|nope|nein|non|nej|nee)(?=\s*[,.;!?]|\s+(?:more|rather|actually|make that|wait|sorry|maybe|probably"
    rf"|eher|mehr|plutôt|más|nok|snarere|eerder|meer))"
    rf"|(?:würde|würd|könnte|kann)\s+(?:ich\s+|wir\s+)?(?:das\s+|sie\s+)?nicht(?:\s+(?:sagen|geben|vergeben))?(?=\s*[,.;!?])"
    rf"|ne\s+(?:dirais|donnerais|mettrais)|no\s+(?:diría|daría|pondría)"
    rf"|ville\s+jeg\s+ikke\s+(?:sige|give)|skulle\s+jag\s+inte\s+(?:säga|ge)|zou\s+ik\s+niet\s+(?:zeggen|geven))"
    rf"(?!\s+(?:doubt|question|problem|hesitation|brainer|contest|way\s+(?:less|lower)))\b", re.I)
# A number counting something ("two years ago", "ten people", "three of us"; "seit 3 Jahren",
# "hace 2 años") states no score; read as one, "Two years ago I would have said a nine, now a
# five" scored a 2.
_QUANTITY = re.compile(
    rf"\b{_NUM}\s+(?:(?:more|other|full|whole|long|extra|different|new)\s+)?(?:years?|months?|weeks?|days?|hours?"
    rf"|minutes?|mins|seconds?|times|people|persons|friends|colleagues|clients|customers|patients|staff|employees"
    rf"|members|users|seats|licen[cs]es|locations|sites|stores|shops|clinics|offices|branches|kids|children|tools"
    rf"|apps|products|vendors|suppliers|of (?:us|them|you|my|our|the|those|these)"
    rf"|jahren?|monaten?|wochen|tagen?|stunden|mal|leute|personen|mitarbeiter(?:innen)?|kunden|patienten|standorten?|praxen"
    rf"|år|årene|måneder|månader|uger|veckor|dage|dagar|timer|timmar|gange|gånger|personer|medarbejdere|anställda|kunder"
    rf"|patienter|klinikker|kliniker|jaar|maanden|weken|dagen|uur|keer|mensen|medewerkers|klanten|patiënten"
    rf"|ans|années|mois|semaines|jours|heures|fois|personnes|employés|salariés|cliniques"
    rf"|años|meses|semanas|días|horas|veces|personas|empleados|clientes|pacientes|clínicas"
    rf"|anni|mesi|settimane|giorni|ore|volte|persone|dipendenti|clienti|pazienti|anos|dias|vezes|pessoas|funcionários"
    rf"|vuotta|kuukautta|viikkoa|päivää|kertaa|henkeä|asiakasta)\b", re.I)
# The score as it stands now, when the answer also says what it was once, or rates a part
# ("Ten out of ten for support, but overall a six"; "I gave them a four last year, this year a seven").
_NOW_WORDS = (r"now|today|these days|nowadays|this year|at the moment|currently|overall|all in all|on the whole"
              r"|jetzt|heute|inzwischen|mittlerweile|derzeit|aktuell|insgesamt|alles in allem|dieses jahr|nur noch"
              r"|nu|i dag|idag|i år|i dag|samlet|alt i alt|totalt sett|sammantaget|vandaag|inmiddels|tegenwoordig|al met al"
              r"|dit jaar|maintenant|aujourd'hui|actuellement|globalement|dans l'ensemble|au final|cette année"
              r"|ahora|hoy|actualmente|en general|en conjunto|este año|ora|adesso|oggi|nel complesso|quest'anno"
              r"|agora|hoje|no geral|este ano|nyt|tänään|kaiken kaikkiaan")
_BEFORE_WORDS = (r"used to|was|were|would have|had|before|last|ago|war|waren|hatte|hätte|früher|vorher|letztes|letzte|vor"
                 r"|var|havde|ville have|før|förut|tidigare|sidste|förra|siden|sedan|was|had|vroeger|vorig|geleden"
                 r"|était|avais|aurais|avant|dernier|dernière|il y a|era|había|habría|antes|pasado|hace|fa|prima|scorso"
                 r"|tinha|teria|passado|oli|aiemmin|viime")
_NOW = re.compile(
    rf"\b({_NUM})\s+(?:right\s+)?(?:now|today|these days|nowadays|at the moment|currently|jetzt|heute|nu|maintenant|ahora|agora|nyt)\b"
    rf"|\b(?:{_NOW_WORDS})\b"
    rf"(?:(?!\b(?:{_BEFORE_WORDS})\b)[^.;!?]){{0,30}}?\b({_NUM})\b", re.I)
# A score that changed ("It went from a six to a nine", "von sechs auf acht") is the one it changed
# to; hours ("We work from nine to five") and the scale itself ("from zero to ten") state none.
_ART = r"(?:(?:a|an|eine[rn]?|ein|een)\s+)?"
_FROM_TO = re.compile(
    rf"\b(?:from\s+{_ART}({_NUM})\s+(?:up\s+|down\s+)?(to|till|until)|von\s+{_ART}({_NUM})\s+auf"
    rf"|van\s+{_ART}({_NUM})\s+naar)\s+{_ART}({_NUM})\b(\s*(?:am|pm|a\.m\.|p\.m\.|o'clock|uhr))?", re.I)
_HOURS_BEFORE = re.compile(r"\b(?:work|working|open|opening|shifts?|hours|staffed|closed|available|arbeiten|geöffnet)\b"
                           r"(?:\W+\w+){0,3}\W*$", re.I)


_CHANGED = re.compile(r"\b(?:went|gone|goes|go|moved|jumped|climbed|rose|risen|dropped|fell|fallen|improved|up|down"
                      r"|since|now|auf|naar)\b", re.I)


def _changed_to(text: str) -> tuple[int | None, str]:
    """(the score a "from X to Y" change ends on or None, the text without any from-to range). A
    range said with no word of change ("From nine to five the phone never stops. Eight.") is the
    score only when no other number is left to be one."""
    score, rest = None, _FROM_TO.sub(" ", text)
    for m in _FROM_TO.finditer(text):
        start, end = _value(next(g for g in (m.group(1), m.group(3), m.group(4)) if g)), _value(m.group(5))
        # "till" / "until" ends a stretch of time, not a change of score
        till = m.group(1) is not None and m.group(2).lower() != "to"
        hours = till or m.group(6) or _HOURS_BEFORE.search(text[:m.start()])
        said_as_change = _CHANGED.search(m.group(0)) or _CHANGED.search(text) or not re.search(rf"\b{_NUM}\b", rest, re.I)
        if score is None and not hours and not (start in (0, 1) and end == 10) and end is not None and said_as_change:
            score = end
    return score, rest


_RANGE = re.compile(rf"\b({_NUM})\s*(?:or|to|-|–|oder|bis|eller|til|till|tot|ou|à|o|a|u|tai)\s*({_NUM})\b", re.I)
# The recommendation question in the languages interviews are run in. Word stems, not whole
# words, so inflected forms count ("weiterempfehlen", "suosittelisit", "recomendarías"); the
# scale ("from 0 to 10" in digits, or its words in a language the project reads numbers in) is
# the cue that needs no vocabulary at all. Stems too common to mean "recommend" on their own
# (Italian "consiglio" = advice) are left out for the conditional forms only.
_RECOMMEND = re.compile(
    r"recommend|anbefal|rekommend|empfehl|aanbevel|aanrad|aan te raden|recommand|recomend|recomiend|raccomand"
    r"|consiglier|indicaria|suosit|polecił|polecil|poleci(?:łby|lby|sz)|рекоменд|порекоменд|tavsiye"
    r"|推荐|推薦|勧め|薦め|すすめ|추천", re.I)
_SCALE = re.compile(
    r"how likely|likelihood|scale of|scale from|on a scale|zero to ten|one to ten|out of ten|out of 10"
    r"|\b[01]\s*(?:-|–|to|til|till|bis|à|a|al|tot|do|до|ー|〜|~)\s*10\b|[0零一]\s*(?:到|至|~)\s*(?:10|十)"
    r"|skala(?:en)? (?:fra|från|von|van) (?:nul|noll|null|0|1|een|én|en)\b|schaal van|échelle de|escala de"
    r"|scala da|asteikol|nollasta kymmeneen|по шкале|shkale|od zera do dziesięciu|skali od", re.I)


# "Recommend" in a question that asks who recommended it to the participant, or whether they have
# recommended it (what happened, not what they would do): a channel or advocacy question, never the
# 0-10 one. Taken for the recommendation question, "Was it recommended to you by someone?" /
# "Yes, another clinic owner, about two years ago" gave an interview with no score question an NPS
# of 2. Past forms per language (the stems above would take them), and the English question shapes
# ("who recommended", "did anyone recommend", "recommend it to you"). The 0-10 scale still makes
# any question the score question.
_RECOMMENDED_BY_SOMEONE = re.compile(
    r"recommended|\bwho\b[^?.!]{0,30}\brecommend|\b(?:did|has|have|had)\s+(?:\w+\s+){0,3}recommend\b"
    r"|\brecommend(?:s|ing)?\s+(?:\w+\s+){0,3}to you\b|\brecommendation (?:from|by)\b"
    r"|\brecom(?:endó|endaron|endad[oa]s?|endou)\b|\brecommandée?s?\b|\bindicou\b"
    r"|\banbefal(?:ede|et)\b|\brekommender(?:ade|at)\b|\baanbevolen\b|\baangeraden\b"
    r"|\braccomandat[oaie]\b|\bconsigliat[oaie]\b|\bsuositteli\b",
    re.I)


def asks_to_recommend(text: str | None) -> bool:
    """Does the question ask whether they would recommend (in a language the stems cover)? Not
    when it asks who recommended it to them, or whether they have recommended it.

    >>> asks_to_recommend("Wie wahrscheinlich würden Sie uns weiterempfehlen?"), asks_to_recommend("How was onboarding?")
    (True, False)
    >>> [asks_to_recommend(q) for q in ("Would you recommend it to a friend?", "Was it recommended to you by someone?",
    ...  "Did anyone recommend it to you?", "Who recommended us?", "¿Alguien se lo recomendó?",
    ...  "Quelqu'un vous l'a-t-il recommandé ?", "Suosittelisitko meitä?")]
    [True, False, False, False, False, False, True]
    """
    return bool(text) and bool(_RECOMMEND.search(text)) and not _RECOMMENDED_BY_SOMEONE.search(text)
_SCORE_FOLLOWUP = re.compile(r"\b(that score|the score|why (a|an) |behind (the|that) |what'?s behind|why that)\b", re.I)


def _value(token: str) -> float | None:
    t = token.lower().replace(",", ".")
    if t in NUMBER_WORDS:
        return NUMBER_WORDS[t]
    try:
        v = float(t)
    except ValueError:
        return None
    return v if 0 <= v <= 10 else None


def parse_score(text: str) -> int | None:
    """The 0-10 score stated in `text`, or None. "seven or eight" -> 7 (the lower, said first).

    >>> parse_score("Um, probably a seven."), parse_score("Seven or eight."), parse_score("Nine out of ten.")
    (7, 7, 9)
    >>> parse_score("It's not a 10 because the booking took ages."), parse_score("I out of 10.")
    (None, None)
    >>> parse_score("I wouldn't give it a ten, maybe an eight."), parse_score("Nine, not a ten.")
    (8, 9)
    >>> parse_score("Two years ago I'd have said a nine, now more like a five."), parse_score("Ten out of ten for support, but overall a six.")
    (5, 6)
    >>> parse_score("Ten out of ten I wouldn't say, more like an eight."), parse_score("Ten, no question.")
    (8, 10)
    """
    if not text:
        return None
    clean = _QUANTITY.sub(" ", _DENIED.sub(" ", text.replace("’", "'")))
    taken_back = _DENIED_AFTER.sub(" ", clean)
    if re.search(rf"\b{_NUM}\b", _DENOMINATOR.sub(" ", taken_back), re.I):
        clean = taken_back
    changed, clean = _changed_to(clean)
    if changed is not None:
        return int(changed) if changed == int(changed) else int(changed + 0.5)
    # The scale's end ("out of ten") is not a score: "I out of 10" (a misheard "Nine out of ten")
    # states none and goes to the audio, instead of reading as a 10. Only `_OUT_OF` sees it.
    rest = _DENOMINATOR.sub(" ", clean)
    for pattern, where in ((_NOW, rest), (_OUT_OF, clean), (_RANGE, rest), (_LEADING, rest), (_CUED, rest)):
        m = pattern.search(where)
        if m:
            v = _value(next(g for g in m.groups() if g))
            if v is not None:
                return int(v) if v == int(v) else int(v + 0.5)
    tokens = re.findall(r"[a-z]+|\d+(?:\.\d)?", rest.lower())
    numbers = [_value(t) for t in tokens if _value(t) is not None]
    if len(numbers) == 1 and len(tokens) <= 6:  # "Nine." / "Probably 8." / "Six I think."
        return int(numbers[0])
    return None


def is_nps_question(text: str | None) -> bool:
    """Does the interviewer ask for the 0-10 recommendation score? In English and in the other
    languages interviews are run in: the word for recommending, or the 0-10 scale.

    >>> [is_nps_question(q) for q in (
    ...     "How likely are you to recommend us to a colleague?",
    ...     "På en skala fra nul til ti, hvor sandsynligt er det, at du vil anbefale os?",
    ...     "Auf einer Skala von 0 bis 10, wie wahrscheinlich ist es, dass Sie uns weiterempfehlen?",
    ...     "Kuinka todennäköisesti suosittelisit meitä asteikolla nollasta kymmeneen?",
    ...     "Quelle est la probabilité que vous nous recommandiez ?",
    ...     "¿Qué tan probable es que nos recomiendes, del 0 al 10?",
    ...     "从零到十分，你有多大可能把它推荐给同行？",
    ...     "What made you start looking?", "Hvad fik dig til at begynde at lede?",
    ...     "Was it recommended to you by a colleague?", "Have you recommended it to anyone yet?",
    ...     "On a scale of 0 to 10, how likely is it that you'd recommend us, as your colleague recommended us to you?")]
    [True, True, True, True, True, True, True, False, False, False, False, True]
    """
    return bool(text) and bool(asks_to_recommend(text) or _SCALE.search(text))


def is_score_followup(text: str | None) -> bool:
    return bool(text) and bool(_SCORE_FOLLOWUP.search(text))


@dataclass
class NpsResult:
    interview_id: int
    score: int
    klass: str
    quote_id: str
    text: str
    reason_quote_ids: list[str] = field(default_factory=list)

    def row(self) -> dict:
        return {"interview_id": self.interview_id, "score": self.score, "klass": self.klass,
                "quote_id": self.quote_id, "text": self.text}


def score_sentence(sentences: Sequence[str]) -> int | None:
    """Which of an answer's sentences (in order) states its score: the first that states one,
    unless a later one gives the score as it stands now ("Two years ago I'd have said a six, the
    migration was painful." "Now more like a nine." -> 1). Sentences are quoted one by one, so
    `parse_score` alone never sees the two together. None: no sentence states a score.

    >>> score_sentence(["Two years ago I'd have said a six.", "Now more like a nine."]), score_sentence(["Eight.", "Support gets ten out of ten."])
    (1, 0)
    """
    stated = [i for i, text in enumerate(sentences) if parse_score(text) is not None]
    if not stated:
        return None
    now = [i for i in stated[1:] if _NOW.search(_QUANTITY.sub(" ", _DENIED.sub(" ", sentences[i].replace("’", "'"))))]
    return now[0] if now else stated[0]


# The interviewer's next question often says the score back ("Why nine?", "What's behind the
# eight?", "A seven, okay. Why?"): a second witness when the answer's own number was misheard
# ("I out of ten."). Not a score asked about ("What would make it a ten?", "Why not a ten?").
_ECHO = re.compile(
    rf"^\W*(?:(?:and|so|okay|ok|right|great|nice|interesting|thanks|thank you|und|also|et|y|og|och|en)\W+)*"
    rf"(?:(?:why|what'?s behind|what is behind|what makes (?:it|that|this)|how come|you said|warum|wieso|weshalb|pourquoi"
    rf"|por qué|porqué|hvorfor|varför|waarom)\s+(?:(?:a|an|the|that|your|eine?|un|une|una|en|et|ett|een)\s+)?({_NUM})\b"
    rf"|(?:a|an|eine?|un|une|una|en|et|ett|een)?\s*({_NUM})\s*[,.!?]+\s*(?:okay|ok|great|nice|interesting|got it|right|thanks"
    rf"|thank you|good|gut|danke|merci|bien|vale|tak|bra|fijn)\b)", re.I)


def echoed_score(question: str | None) -> int | None:
    """The score the interviewer says back at the start of the next question, or None.

    >>> [echoed_score(q) for q in ("Why nine?", "What's behind the eight?", "A seven, okay. Why?",
    ...  "What would make it a ten?", "Why not a ten?", "Why is that?", "Warum eine 8?")]
    [9, 8, 7, None, None, None, 8]
    """
    m = _ECHO.search((question or "").replace("’", "'"))
    value = _value(next(g for g in m.groups() if g)) if m else None
    return None if value is None else int(value)


def _echoed(qs: list[Quote], answer: list[Quote]) -> tuple[Quote, int] | None:
    """(the answer's first quote, the score the question after the answer says back), or None."""
    if not answer:
        return None
    first = min(answer, key=lambda c: (c.start, c.index))
    after = [q for q in qs if (q.start, q.index) > (first.start, first.index) and q.question and q.question != first.question]
    score = echoed_score(after[0].question) if after else None
    return None if score is None else (first, score)


def _read(qs: list[Quote]) -> tuple[tuple[Quote, int] | None, tuple[Quote, int] | None]:
    """One interview's quotes in order -> (the score its answer states, as (quote, score); the
    score the interviewer's next question says back, likewise), either None."""
    candidates = [q for q in qs if q.category == "nps_score"]
    candidates += [q for q in qs if q.category != "nps_score" and is_nps_question(q.question)]
    stated = None
    for q in candidates:
        if parse_score(q.text) is not None:
            answer = [c for c in sorted(candidates, key=lambda c: (c.start, c.index))
                      if c.question == q.question and (c.start, c.index) >= (q.start, q.index)]
            q = answer[score_sentence([c.text for c in answer]) or 0]
            stated = (q, parse_score(q.text))
            break
    return stated, _echoed(qs, candidates)


def _by_interview(quotes: Sequence[Quote]) -> dict[int, list[Quote]]:
    out: dict[int, list[Quote]] = {}
    for q in sorted(quotes, key=lambda q: (q.start, q.index)):
        out.setdefault(q.interview_id, []).append(q)
    return out


def disagreement(quotes: Sequence[Quote], recorded: Collection[int] | None = None) -> dict[int, tuple[int, int]]:
    """{interview id: (the score the transcript reads in the answer, the score the interviewer
    says back)} where the two differ and the answer was heard, not typed: two witnesses of one
    number that disagree, so `extract` takes neither (see there). Heard: the quote's recogniser
    confidence says so, or, for quotes read back from a study (which keeps no confidence), its
    interview is in `recorded` (the ids of audio interviews)."""
    out = {}
    for iid, qs in _by_interview(quotes).items():
        stated, echo = _read(qs)
        heard = iid in recorded if recorded is not None else stated is not None and _heard(stated[0])
        if stated and echo and stated[1] != echo[1] and heard:
            out[iid] = (stated[1], echo[1])
    return out


def _heard(q: Quote) -> bool:
    return q.asr_confidence is not None and q.asr_confidence < 1.0  # 1.0: typed (models.Quote)


def extract(quotes: list[Quote]) -> list[NpsResult]:
    """Per interview: the score from its `nps_score` quote (or, failing that, from the first answer
    to a recommendation question, or else the score the interviewer's next question says back:
    `echoed_score`), and its `nps_reason` quotes.

    When the answer was heard (not typed) and the interviewer says back another number ("Five."
    "Why nine?"), neither is taken: one of the two was misheard, and a wrong score in the NPS is
    worse than a missing one. The interview is then left to the audio check (`nps_audio`: which
    number the recording singles out) and otherwise to the researcher ("listen to confirm"). A
    typed transcript keeps the participant's own number."""
    conflicts = disagreement(quotes)
    out = []
    for iid, qs in sorted(_by_interview(quotes).items()):
        if iid in conflicts:
            continue
        stated, echo = _read(qs)
        found = stated or echo  # the number misheard, the interviewer's echo heard
        if not found:
            continue
        q, score = found
        reasons = [r.id for r in qs if r.category == "nps_reason"]
        out.append(NpsResult(iid, score, nps_band(score), q.id, q.text, reasons))
    return out
