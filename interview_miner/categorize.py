"""Categorize: each quote gets one of `CATEGORIES` with a confidence, and learns from corrections.

Public API:
- `Categorizer(encode)`: holds the category prototypes, embedded once with `encode(texts)`.
- `Categorizer.score(quotes, quote_vecs, question_vecs) -> np.ndarray` (n, n_categories) of
  zero-shot probabilities.
- `categorize(quotes, quote_vecs, question_vecs, encode, corrections) -> list[(category, conf)]`:
  the stage: zero-shot scores, re-scored by a classifier trained on researcher corrections;
  corrected quotes keep their corrected category (confidence 1.0).

Signals, strongest first (nothing here is specific to one product or market):
1. The interviewer's question. Customer-discovery and buyer-persona guides ask a small set of
   question types (trigger, channel, alternatives, criteria, fears, objections, hoped-for outcomes,
   usage, the 0-10 recommendation question and its "why"); each category has cue patterns and
   prototype questions, and the question's embedding is compared with the prototypes.
   Probes with no topic of their own ("Tell me more.", "Why?", "Mm-hmm.") inherit the previous
   question's topic.
2. The quote itself: lexical cues ("I heard about it from", "I was worried", "out of ten") and
   similarity to prototype statements per category.
3. Context: sentences of one answer usually share a category, so scores are smoothed over the
   neighbours in the same answer.
4. The recommendation question is structural: the first answer sentence stating a score is
   `nps_score`; the rest of that answer and answers to its follow-ups are `nps_reason`.
5. Researcher corrections (edits on field `category`) train a similarity-weighted nearest-neighbour
   classifier on (quote, question) embeddings, blended with the zero-shot scores, so one correction
   moves similar quotes elsewhere too.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from . import nps as nps_mod
from .models import Quote
from .vocab import CATEGORIES

Encode = Callable[[list[str]], np.ndarray]
CAT_INDEX = {c: i for i, c in enumerate(CATEGORIES)}

# ---------------------------------------------------------------------------------------------
# Prototypes: generic interview-guide questions and typical answer statements per category.
# ---------------------------------------------------------------------------------------------

QUESTION_PROTOTYPES: dict[str, list[str]] = {
    "channel": [
        "How did you first hear about the product?",
        "Where did you find out about it?",
        "How did you come across this tool?",
        "Who told you about it?",
        "How did it come onto your radar?",
        "How did you discover the company?",
        "What put this product in front of you?",
    ],
    "trigger": [
        "What made you start looking for a new solution?",
        "What was going on at the time you started looking?",
        "What prompted you to search for something new?",
        "Why did you start looking at that point?",
        "What problem pushed you to look for a new tool?",
        "Take me back to when you first decided you needed to change something.",
        "What was the last straw with the old way of doing things?",
        "When did you realise the old system wasn't working anymore?",
    ],
    "alternatives": [
        "What other options did you consider?",
        "What were you using before?",
        "Which other products or vendors did you look at?",
        "How were you handling this before you switched?",
        "What alternatives did you evaluate?",
        "What else were you weighing up?",
    ],
    "criteria": [
        "What mattered most when you were choosing?",
        "What were your must-have requirements?",
        "How did you decide between the options?",
        "What were your top criteria for the decision?",
        "What was most important to you when comparing products?",
        "What did you care about most when evaluating?",
    ],
    "fear": [
        "What worried you about switching?",
        "What were you afraid might go wrong?",
        "What concerns did you have about moving to a new system?",
        "Were you nervous about anything?",
        "What risks did you see in making the change?",
        "What kept you up at night about the change?",
    ],
    "objection": [
        "What almost stopped you from buying?",
        "What made you hesitate before signing?",
        "Was there anything that nearly made you walk away?",
        "Were there reasons you almost didn't go ahead?",
        "What pushback or objections came up before the purchase?",
        "What was the sticking point in the deal?",
        "Did anything make you think twice about buying?",
    ],
    "outcome": [
        "What were you hoping to achieve?",
        "What results did you expect?",
        "What did success look like for you?",
        "What did you hope would change afterwards?",
        "What outcomes were you hoping for?",
        "What did you expect to get out of it?",
    ],
    "usage": [
        "How do you use it day to day?",
        "Walk me through a typical day using it.",
        "How does your team use the product now?",
        "Describe a normal morning with it.",
        "Which features do you use the most?",
        "Tell me how you use it now.",
    ],
    "nps_score": [
        "How likely are you to recommend it to a colleague, on a scale from zero to ten?",
        "On a scale of 0 to 10, how likely would you be to recommend us to a friend?",
    ],
    "nps_reason": [
        "Why did you give that score?",
        "What is the main reason for your score?",
        "What would make it a ten?",
        "What's behind that number?",
    ],
    "other": [
        "Tell me a bit about yourself and your role.",
        "What do you do at your company?",
        "Could you describe your organisation?",
        "Is there anything else you'd like to add?",
        "Is there anything you wish it did better?",
        "What would you change about the product?",
        "Anything we haven't covered?",
    ],
}

QUOTE_PROTOTYPES: dict[str, list[str]] = {
    "channel": [
        "I heard about it from a friend who uses it.",
        "I found it by searching online and reading reviews.",
        "A colleague recommended it to me.",
        "I saw their booth at a conference.",
        "It was listed in the integrations marketplace of software we already use.",
        "Someone mentioned it in an online community I belong to.",
    ],
    "trigger": [
        "The problem was costing us money every week.",
        "Things got so bad that we had to find a new way of working.",
        "That was the moment I said we need a proper system.",
        "We were growing and the old way just wasn't going to work anymore.",
        "Customers kept asking us for it.",
        "Our key person left and nobody knew how things worked.",
    ],
    "alternatives": [
        "Before, we used spreadsheets and paper.",
        "We looked at a competitor, but it was too expensive.",
        "We thought about hiring someone to do it by hand instead.",
        "We tried a free app first, but it didn't fit our needs.",
        "Our existing software had a basic built-in module.",
    ],
    "criteria": [
        "It had to integrate with the systems we already use.",
        "It had to be easy enough to learn in a day.",
        "The price per user was the big factor.",
        "Good customer support was a must-have.",
        "Security and compliance came first.",
    ],
    "fear": [
        "I was worried we would lose data in the migration.",
        "I was afraid the team would refuse to use it.",
        "I was nervous about getting locked in to a vendor.",
        "My biggest concern was a security breach.",
    ],
    "objection": [
        "The monthly price put me off.",
        "I didn't want to commit to an annual contract.",
        "The timing was bad, it was our busiest period.",
        "I needed my boss to approve the purchase.",
        "It was missing a feature we really needed.",
    ],
    "outcome": [
        "I wanted to save time for the team.",
        "We hoped to grow revenue.",
        "I expected fewer mistakes and less stress.",
        "Success would mean fewer phone calls and a calmer office.",
    ],
    "usage": [
        "I check it on my phone every morning.",
        "The team uses it all day to see what's next.",
        "Customers now book themselves online.",
        "The automatic reminders do most of the work.",
    ],
    "nps_score": [
        "I'd give it a nine out of ten.",
        "Probably an eight.",
    ],
    "nps_reason": [
        "It saves us so much time that I'd recommend it.",
        "The support team has been great.",
        "The price keeps going up, which is why it's not higher.",
        "It would get a higher score if they fixed a few gaps.",
    ],
    "other": [
        "I'm the manager at a small company with ten employees.",
        "I've been in this role for about five years.",
        "I'd love to see a new report in a future version.",
        "No, I think that's everything.",
    ],
}

# Cue patterns on the question: strong, generic wording of each question type.
QUESTION_CUES: dict[str, str] = {
    "channel": r"\b(hear|heard) (about|of)\b|\bfind (out about|us|it|them)\b|\bfound (out about|us|it|them)\b|"
               r"\bcome (across|onto|on to)\b|\bcame across\b|\bradar\b|\bdiscover|\bwho (told|referred)|\bhow did you find\b|"
               r"\bwhere did you (first )?(see|learn|hear|come)|\bin front of you\b|\bhow did you (first )?(learn|hear|find)|"
               r"\bintroduced (you|to)\b|\bpoint(ed)? you (to|towards)\b",
    "trigger": r"\bstart(ed)? looking\b|\bget (you )?looking\b|\bgot you looking\b|\bwhat (was )?going on\b|\bset (that|it|this) off\b|"
               r"\bprompt(ed)?\b|\btrigger|\bpushed you\b|\bmade you (start|look|decide|want)|\bwhat was happening\b|"
               r"\bwhy now\b|\bin the first place\b|\bwhat led you\b|\blook(ing)? for (something|a) new\b|"
               r"\bstart(ed|ing)? (searching|shopping|to look|to search|evaluating)\b|\blast straw\b|\bstraw that\b|"
               r"\btipping point\b|\bwhat changed\b|\bwhat was broken\b|\bbreaking point\b|"
               r"\bmoment (you|when you) (decided|realised|realized|knew)\b|\b(wasn't|was not|stopped) (cutting it|working)\b|"
               r"\bwhat was going wrong\b",
    "alternatives": r"\balternative|\bother (options|products|tools|vendors|solutions)|\belse (did|were) you (consider|try|look|weigh|evaluat)|"
                    r"\busing before\b|\bbefore you (chose|switched|picked|bought)|\bweighing( up)?\b|\bcompetitor|\binstead\b|"
                    r"\bwhat else did you (try|consider|look)|\bon the table\b|\blook(ed)? at (anything|any|other|something) else\b|"
                    r"\bcompar(e|ing|ed) (it|them|this) (against|to|with)\b|\bconsider(ed)? (anything|any|other)\b|\bshortlist",
    "criteria": r"\bmattered( most)?\b|\bmust[- ]haves?\b|\bcriteri|\brequirement|\bmost important\b|\bcare(d)? about most\b|"
                r"\bhow did you (decide|choose|pick|compare)|\bdeal[- ]?breaker|\bwhen (you were )?(comparing|choosing|evaluating)|"
                r"\blook(ing|ed)? for in\b|\bnon[- ]negotiable|\bwhy did you (choose|pick|go with)\b|\bend up (picking|choosing|going with)\b|"
                r"\bwhat made you (choose|pick|go with)\b|\bwhat sealed\b|\btipped it\b",
    "fear": r"\bworr|\bafraid\b|\bnervous\b|\bconcern|\bfear|\brisk|\banxious\b|\bgo wrong\b|\bscared\b|"
            r"\b(keep|kept|keeping) you up at night\b|\blose sleep\b|\bapprehensi|\buneasy\b",
    "objection": r"\bhesitat|\balmost (stopped|didn't|did not|walked|made)|\bnearly (made|stopped|walked|didn't)|\bwalk away\b|"
                 r"\bstop(ped)? you from\b|\bsticking point\b|\bobjection|\bpush ?back\b|\balmost didn't\b|\breservations?\b|"
                 r"\bholding you back\b|\bwhat held you back\b|\bdidn't (go ahead|buy)\b|\balmost not\b|"
                 r"\bpull(ed)? the plug\b|\bthink twice\b|\bsecond thoughts\b|\bcold feet\b|\bdeal[- ]?breaker|\bblocker",
    "outcome": r"\bhop(e|ed|ing) (to|for|would|it would)|\bhoping\b|\bexpect|\bachieve|\boutcomes?\b|\bresults?\b|\bsuccess\b|"
               r"\bwould change\b|\bbe different\b|\bget out of it\b|\bwanted to (get|gain)\b|\bgoals?\b|"
               r"\bwould be true\b|\bfast forward\b|\bwhat would (good|great) look like\b",
    "usage": r"\bday[- ]to[- ]day\b|\btypical (day|morning|week)\b|\bnormal (day|morning|week)\b|\bhow (do|does) (you|the team|your team|they) use\b|"
             r"\buse it (now|today|on)\b|\bhow you use\b|\bwalk me through (a|your) (typical|normal)|\bworkflow\b|\broutine\b|"
             r"\bmorning with it\b|\bfeatures? (do )?you use\b|\b(week|day|month) with it\b|\bhow (do|does) .{1,30}\buse it\b|"
             r"\bwhen do you (open|use|check)\b",
    "nps_score": r"\brecommend\b.*\b(zero|0|one|1) to (ten|10)\b|\b(zero|0|one|1) to (ten|10)\b.*\brecommend|\bhow likely\b.*\brecommend|"
                 r"\bscale\b.*\brecommend|\brecommend\b.*\bscale\b",
    "nps_reason": r"\bwhy (a|an|that) (score|number|rating|zero|one|two|three|four|five|six|seven|eight|nine|ten|\d+)\b|"
                  r"\bbehind (that|the|your) (score|number|rating|zero|one|two|three|four|five|six|seven|eight|nine|ten|\d+)\b|"
                  r"\b(that|your|the) (score|rating)\b|\bmake it a (ten|10|nine|9)\b|\b(get|getting) (it )?to a (ten|10|nine|9)\b|"
                  r"\bwhat would it take\b|\bwhy not (a )?(ten|10|higher)\b",
    "other": r"\babout yourself\b|\byour (role|job|background|business|company|clinic|practice|organi[sz]ation|team)\b\?|"
             r"\btell me (a (bit|little) )?about your\b|\bwhat do you do\b|\bpicture of your\b|\bintroduce yourself\b|"
             r"\banything else (you'd|you would|to) (like to )?add\b|\bhaven't covered\b|\bwish it did\b|\byou('d| would) change\b|"
             r"\bdo better\b|\bimprove\b|\bmagic wand\b|\bmissing from\b|\bto add\b",
}

# Probes that carry the previous question's topic forward (short, no topic of their own).
FOLLOW_UP = re.compile(
    r"^\W*(?:(?:and|so|okay|ok|right|great|got it|interesting|mm-hmm)\W+)*"
    r"(why\W*$|why (is|was) that|why not|how so|how come|say more|tell me more|can you (say|tell me) more|"
    r"could you (say|tell me) more|what do you mean|in what way|go on|such as|for example|like what|"
    r"what happened( next| then)?|tell me how (that|it) went|how did (that|it) go|what was that like|"
    r"anything else\W*$|(was there|is there) anything else\b(?! (you'd|you would|to) (like to )?add)|"
    r"what'?s the main reason|what'?s the reason|and then\b|so that was|that's interesting)",
    re.I,
)
MAX_PROBE_WORDS = 12


def is_probe(text: str | None) -> bool:
    return bool(text) and len(text.split()) <= MAX_PROBE_WORDS and bool(FOLLOW_UP.search(text))


# Cue patterns on the quote (weaker than the question; they fire on explicit wording).
QUOTE_CUES: dict[str, str] = {
    "channel": r"\b(heard|hear) (about|of) (it|them|you)\b|\bfound (it|them|you) (through|via|on|in|by)\b|\bgoogled\b|"
               r"\b(searched|search) (for|online)\b|\brecommended (it|them)\b|\bswore by\b|\bcame up (in|near|on)\b|"
               r"\bshowed up (on|in)\b|\blisted (in|on)\b|\b(saw|noticed) (it|them|their)\b.*\b(at|on|in)\b|\bword of mouth\b|\bforum\b|"
               r"\bonline group\b|\bpodcast\b|\b(newsletter|linkedin|webinar|conference|trade show|booth|stand)\b",
    "fear": r"\b(worried|worry|afraid|nervous|scared|anxious|fear(ed)?|terrified|visions of)\b|\bbeen burned\b|\bdisaster\b|\blocked in\b|\bstuck with\b",
    "objection": r"\btoo expensive\b|\bput (me|us) off\b|\bsign(ed)? off\b|\bapprov|\bcontract\b|\bwasn't sure it was worth\b|"
                 r"\bbad timing\b|\btiming was\b|\bcouldn't justify\b|\bpushed back\b",
    "alternatives": r"\b(spreadsheet|whiteboard|paper|excel)\b|\bwe (also )?(tried|looked at|considered|trialled|trialed)\b|"
                    r"\bbefore(,| that| this)? (it was|we used|we had)\b|\binstead\b|\bcompetitor\b",
    "criteria": r"\bhad to (be|have|work|talk|plug|pull|integrate|support)\b|\bmust[- ]have\b|\bnon[- ]negotiable\b|\bmust\b|"
                r"\bdeal[- ]?breaker\b|\bcame first\b|\bthe big one\b",
    "outcome": r"\bi (wanted|hoped|expected)\b|\bhoping (to|for|that)\b|\bwould pay for itself\b|\bfewer\b|\bless\b",
    "usage": r"\bevery (day|morning|evening|week)\b|\b(first thing|day view|each morning|in the morning|at lunch)\b|"
             r"\bi (check|open|glance|look at|go through)\b|\bon my phone\b",
}

_Q_CUES = {c: re.compile(p, re.I) for c, p in QUESTION_CUES.items()}
_T_CUES = {c: re.compile(p, re.I) for c, p in QUOTE_CUES.items()}

_RECOMMEND = re.compile(
    r"\brecommend\b.*\b(scale|likely|zero|0|one|1|ten|10)\b|\b(how likely|likelihood|scale)\b.*\brecommend", re.I)

@dataclass(frozen=True)
class CategorizerOptions:
    """How the evidence is weighed. The defaults were set on generic interview-guide wording
    (never on a labelled corpus) and are what `categorize` uses unless given others.

    Zero-shot weights are on the log-odds scale: question evidence dominates; the quote can
    overrule a weak question.
    """

    question_similarity: float = 14.0  # x best cosine of the question to a category's prototype questions
    question_cue: float = 2.5  # added when the question matches a category's cue pattern
    quote_similarity: float = 6.0  # x the quote's cosine to prototype statements (centred per quote)
    quote_cue: float = 1.0  # added when the quote matches a category's cue pattern
    context: float = 0.5  # pull towards the neighbours' categories within one answer
    follow_up_keep: float = 0.25  # share of a probe's own evidence kept when it inherits the previous topic
    weak_question: float = 0.4  # best prototype similarity below this: the question carries little topic
    weak_question_keep: float = 0.5  # share of a weak question's own evidence kept (the rest inherited)
    short_score_words: int = 8  # a first answer this short to the 0-10 question is the score statement
    score_confidence: float = 0.98  # the sentence stating the score
    unparsed_score_confidence: float = 0.6  # a short first answer whose number could not be read
    reason_confidence: float = 0.9  # the rest of the answer to the 0-10 question, and its follow-ups
    # Learning from corrections: nearest neighbours first ...
    knn_k: int = 7  # corrected quotes that vote on each uncorrected one
    knn_temperature: float = 0.05  # vote weight exp((similarity - 1) / T)
    knn_min_similarity: float = 0.45  # below this, a correction says nothing about a quote
    knn_full_similarity: float = 0.85  # at or above this, the vote gets the full blend weight ...
    knn_max_weight: float = 0.9  # ... which is this
    quote_weight: float = 0.65  # similarity = this x quote cosine + the rest x question cosine
    # ... then, with enough corrections (in two categories or more), a logistic regression.
    lr_min_corrections: int = 10
    lr_c: float = 2.0  # inverse regularisation strength
    lr_half_weight: float = 30.0  # the regression's weight is n / (n + this) for n corrections
    lr_floor: float = 0.02  # probability floor under the regression's output


DEFAULT_OPTIONS = CategorizerOptions()


def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    x = x - x.max(axis=axis, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def _max_sim(vecs: np.ndarray, protos: dict[str, np.ndarray]) -> np.ndarray:
    """(n, n_categories): best cosine similarity of each row to each category's prototypes."""
    out = np.zeros((len(vecs), len(CATEGORIES)), dtype=np.float32)
    for c, pv in protos.items():
        sims = vecs @ pv.T
        top = np.sort(sims, axis=1)[:, -2:]  # mean of the best two: one lucky prototype is not enough
        out[:, CAT_INDEX[c]] = top.mean(axis=1) if top.shape[1] > 1 else top[:, 0]
    return out


def question_prototypes(localised: bool = False) -> dict[str, list[str]]:
    """The prototype questions per category; with `localised`, also the default guide's
    questions in other languages (`languages.localised_guide_questions`), for a multilingual
    embedder."""
    if not localised:
        return QUESTION_PROTOTYPES
    from .languages import localised_guide_questions

    merged = {c: list(qs) for c, qs in QUESTION_PROTOTYPES.items()}
    for per_category in localised_guide_questions().values():
        for c, qs in per_category.items():
            if c in merged:
                merged[c] += qs
    return merged


# How cosine similarities between prototype questions of different categories spread under the
# model the options were set with (all-MiniLM-L6-v2): mean and standard deviation. Other models
# crowd their cosines differently (multilingual-e5: mean 0.84, sd 0.026), so their similarities
# are mapped onto this scale before the options' weights and thresholds apply.
REFERENCE_SIMILARITY = (0.221, 0.119)


def similarity_scale(vecs: np.ndarray, labels: Sequence[str]) -> tuple[float, float]:
    """(mean, sd) of the cosines between prototypes of different categories under this model."""
    sims = vecs @ vecs.T
    lab = np.asarray(labels)
    between = sims[lab[:, None] != lab[None, :]]
    return float(between.mean()), max(float(between.std()), 1e-3)


class Categorizer:
    def __init__(self, encode: Encode, options: CategorizerOptions = DEFAULT_OPTIONS, localised: bool = False):
        """`localised`: add the guide's questions in other languages to the prototypes (for a
        multilingual embedder, where they sit in the same vector space as the quotes)."""
        self.options = options
        questions = question_prototypes(localised)
        # One encode call for every prototype (batched; cached by the caller's encode).
        texts = [t for ps in questions.values() for t in ps] + [t for ps in QUOTE_PROTOTYPES.values() for t in ps]
        vecs = np.asarray(encode(texts), dtype=np.float32)
        self.q_protos, self.t_protos, pos = {}, {}, 0
        for target, source in ((self.q_protos, questions), (self.t_protos, QUOTE_PROTOTYPES)):
            for c, ps in source.items():
                target[c] = vecs[pos : pos + len(ps)]
                pos += len(ps)
        english = [(c, v) for c in QUESTION_PROTOTYPES for v in self.q_protos[c][: len(QUESTION_PROTOTYPES[c])]]
        self.model_similarity = similarity_scale(np.stack([v for _, v in english]), [c for c, _ in english])

    def calibrated(self, sims: np.ndarray) -> np.ndarray:
        """Cosines of this model on the reference model's scale (identity for MiniLM)."""
        mean, sd = self.model_similarity
        ref_mean, ref_sd = REFERENCE_SIMILARITY
        return ref_mean + (sims - mean) * (ref_sd / sd)

    # -- question ----------------------------------------------------------------------------

    def question_logits(self, questions: list[str | None], vecs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per distinct question: (logits (n, C), own-topic strength (n,))."""
        sims = self.calibrated(_max_sim(vecs, self.q_protos)) if len(vecs) else np.zeros((0, len(CATEGORIES)))
        o = self.options
        logits = o.question_similarity * sims
        for i, q in enumerate(questions):
            text = q or ""
            for c, rx in _Q_CUES.items():
                if rx.search(text):
                    logits[i, CAT_INDEX[c]] += o.question_cue
            if nps_mod.is_nps_question(text) and re.search(r"\brecommend|\blikely\b", text, re.I):
                logits[i, CAT_INDEX["nps_score"]] += o.question_cue
        strength = sims.max(axis=1) if len(sims) else np.zeros(0)
        return logits, strength

    # -- the whole zero-shot model -----------------------------------------------------------

    def score(self, quotes: Sequence[Quote], quote_vecs: np.ndarray, question_vecs: dict[str, np.ndarray]) -> np.ndarray:
        o = self.options
        n = len(quotes)
        C = len(CATEGORIES)
        if n == 0:
            return np.zeros((0, C), dtype=np.float32)
        order = sorted(range(n), key=lambda i: (quotes[i].interview_id, quotes[i].start, quotes[i].index))
        # Answers: runs of quotes in one interview answering the same question.
        answers: list[list[int]] = []
        for i in order:
            q = quotes[i]
            if answers and quotes[answers[-1][-1]].interview_id == q.interview_id and quotes[answers[-1][-1]].question == q.question:
                answers[-1].append(i)
            else:
                answers.append([i])
        qtexts = [quotes[a[0]].question for a in answers]
        dim = quote_vecs.shape[1]
        qv = np.stack([question_vecs.get(t or "", np.zeros(dim, np.float32)) for t in qtexts]) if answers else np.zeros((0, dim))
        q_logits, strength = self.question_logits(qtexts, qv)

        # Probes inherit the topic of the previous question in the same interview.
        q_probs = np.zeros_like(q_logits)
        nps_family = np.zeros(len(answers), dtype=bool)
        score_question = np.zeros(len(answers), dtype=bool)
        prev_probs, prev_nps, prev_iid = None, False, None
        for k, a in enumerate(answers):
            iid = quotes[a[0]].interview_id
            if iid != prev_iid:
                prev_probs, prev_nps = None, False
            text = qtexts[k] or ""
            own = _softmax(q_logits[k])
            is_score_q = bool(_RECOMMEND.search(text)) or (
                int(own.argmax()) == CAT_INDEX["nps_score"] and own.max() > 0.5)
            has_cue = any(rx.search(text) for rx in _Q_CUES.values())
            probe = is_probe(text) or not text.strip()
            weak = strength[k] < o.weak_question and not has_cue
            if prev_probs is not None and not is_score_q and probe and not (has_cue and not is_probe(text)):
                probs = o.follow_up_keep * own + (1 - o.follow_up_keep) * prev_probs
            elif prev_probs is not None and not is_score_q and weak:
                probs = o.weak_question_keep * own + (1 - o.weak_question_keep) * prev_probs
            else:
                probs = own
            top = int(probs.argmax())
            fam = is_score_q or nps_mod.is_score_followup(text) or (
                prev_nps and (probe or weak or top in (CAT_INDEX["nps_score"], CAT_INDEX["nps_reason"])))
            q_probs[k] = probs
            nps_family[k] = fam
            score_question[k] = is_score_q
            prev_probs, prev_nps, prev_iid = probs, fam, iid

        # Quote evidence.
        t_sims = self.calibrated(_max_sim(quote_vecs, self.t_protos))
        t_logits = o.quote_similarity * (t_sims - t_sims.mean(axis=1, keepdims=True))
        for i, q in enumerate(quotes):
            for c, rx in _T_CUES.items():
                if rx.search(q.text):
                    t_logits[i, CAT_INDEX[c]] += o.quote_cue

        logits = np.zeros((n, C), dtype=np.float64)
        for k, a in enumerate(answers):
            ql = np.log(q_probs[k] + 1e-4)
            for i in a:
                logits[i] = ql + t_logits[i]
        # Context: neighbours in one answer pull towards a shared category.
        smoothed = logits.copy()
        for a in answers:
            if len(a) < 2:
                continue
            probs = _softmax(logits[a])
            for j, i in enumerate(a):
                nb = [probs[m] for m in (j - 1, j + 1) if 0 <= m < len(a)]
                smoothed[i] += o.context * np.log(np.mean(nb, axis=0) + 1e-4)
        probs = _softmax(smoothed)

        # The recommendation question: score first, then reasons.
        ns, nr = CAT_INDEX["nps_score"], CAT_INDEX["nps_reason"]
        for k, a in enumerate(answers):
            if not nps_family[k]:
                # A stated score in answer to nothing NPS-like stays whatever it is.
                continue
            # The score statement: the first sentence stating a number; failing that (a number the
            # transcript garbled), a short first sentence of the answer, with less confidence.
            score_at, conf = None, o.score_confidence
            if score_question[k]:
                parsed = [nps_mod.parse_score(quotes[i].text) is not None for i in a]
                if any(parsed):
                    score_at = parsed.index(True)
                elif len(quotes[a[0]].text.split()) <= o.short_score_words:
                    score_at, conf = 0, o.unparsed_score_confidence
            for j, i in enumerate(a):
                cat, c = (ns, conf) if j == score_at else (nr, o.reason_confidence)
                p = np.full(C, (1.0 - c) / (C - 1))
                p[cat] = c
                probs[i] = p
        # nps_score/nps_reason only come from the recommendation question.
        for k, a in enumerate(answers):
            if nps_family[k]:
                continue
            for i in a:
                if probs[i, ns] + probs[i, nr] > 0:
                    probs[i, ns] = probs[i, nr] = 0.0
                    probs[i] /= probs[i].sum()
        return probs.astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Learning from corrections
# ---------------------------------------------------------------------------------------------

def correction_similarity(quote_vecs: np.ndarray, question_vecs: np.ndarray, idx: np.ndarray,
                          quote_weight: float = DEFAULT_OPTIONS.quote_weight) -> np.ndarray:
    """(n, len(idx)): how alike each quote is to each corrected quote, by what is said and what
    was asked."""
    return quote_weight * (quote_vecs @ quote_vecs[idx].T) + (1 - quote_weight) * (question_vecs @ question_vecs[idx].T)


def rescore_with_corrections(
    probs: np.ndarray, quote_vecs: np.ndarray, question_vecs: np.ndarray, corrected: dict[int, str],
    options: CategorizerOptions = DEFAULT_OPTIONS,
) -> np.ndarray:
    """Blend zero-shot probabilities with classifiers trained on the corrected quotes.

    1. Nearest neighbours: each uncorrected quote looks at its most similar corrected quotes;
       their categories vote with weights exp(sim / T). The blend weight grows with the best
       similarity, so a correction moves look-alikes strongly and leaves unrelated quotes alone.
    2. With enough corrections (`options.lr_min_corrections` in two or more categories), a logistic
       regression on (quote, question) embeddings adds a global view, multiplied in (log-linear)
       with weight n / (n + `options.lr_half_weight`).
    Corrected quotes get their category with probability 1.
    """
    o = options
    out = probs.copy()
    if not corrected:
        return out
    idx = np.array(sorted(corrected), dtype=int)
    labels = np.array([CAT_INDEX[corrected[i]] for i in idx])
    sims = correction_similarity(quote_vecs, question_vecs, idx, o.quote_weight)
    C = probs.shape[1]
    k = min(o.knn_k, len(idx))
    is_corrected = np.zeros(len(probs), dtype=bool)
    is_corrected[idx] = True
    for i in np.where(~is_corrected)[0]:
        row = sims[i]
        top = np.argsort(-row, kind="stable")[:k]
        top = top[row[top] >= o.knn_min_similarity]
        if len(top) == 0:
            continue
        w = np.exp((row[top] - 1.0) / o.knn_temperature)
        vote = np.zeros(C)
        np.add.at(vote, labels[top], w)
        vote /= vote.sum()
        reach = (row[top].max() - o.knn_min_similarity) / (o.knn_full_similarity - o.knn_min_similarity)
        alpha = float(np.clip(reach, 0.0, 1.0)) * o.knn_max_weight
        out[i] = (1 - alpha) * out[i] + alpha * vote
    if len(idx) >= o.lr_min_corrections and len(set(labels.tolist())) >= 2:
        from sklearn.linear_model import LogisticRegression

        feats = np.hstack([quote_vecs, question_vecs])
        lr = LogisticRegression(C=o.lr_c, max_iter=2000, class_weight="balanced")
        lr.fit(feats[idx], labels)
        rest = np.where(~is_corrected)[0]
        if len(rest):
            # Log-linear (product of experts): the global classifier sharpens or re-ranks what the
            # zero-shot model is unsure about, but a confident question-driven call needs strong
            # contrary evidence to flip.
            p_lr = np.full((len(rest), C), o.lr_floor)
            p_lr[:, lr.classes_] += lr.predict_proba(feats[rest])
            w = len(idx) / (len(idx) + o.lr_half_weight)
            mixed = np.log(np.maximum(out[rest], 1e-6)) + w * np.log(p_lr)
            out[rest] = _softmax(mixed)
    for i, c in corrected.items():
        out[i] = 0.0
        out[i, CAT_INDEX[c]] = 1.0
    return out


def categorize(
    quotes: Sequence[Quote],
    quote_vecs: np.ndarray,
    question_vecs: dict[str, np.ndarray],
    encode: Encode,
    corrections: dict[str, str] | None = None,
    categorizer: Categorizer | None = None,
    options: CategorizerOptions | None = None,
) -> list[tuple[str, float]]:
    """(category, confidence) per quote. `corrections`: {quote_id: category} from researcher edits.
    `options` default to the categorizer's own (or `CategorizerOptions()`)."""
    if not quotes:
        return []
    model = categorizer or Categorizer(encode, options or DEFAULT_OPTIONS)
    options = options or model.options
    probs = model.score(quotes, quote_vecs, question_vecs)
    corrected = {i: corrections[q.id] for i, q in enumerate(quotes)
                 if corrections and corrections.get(q.id) in CAT_INDEX}
    if corrected:
        dim = quote_vecs.shape[1]
        qv = np.stack([question_vecs.get(q.question or "", np.zeros(dim, np.float32)) for q in quotes])
        probs = rescore_with_corrections(probs, quote_vecs, qv, corrected, options)
    best = probs.argmax(axis=1)
    return [(CATEGORIES[b], float(probs[i, b])) for i, b in enumerate(best)]
