"""What the categorizer compares against, per default category: generic interview-guide questions
(`QUESTION_PROTOTYPES`) and typical answer statements (`QUOTE_PROTOTYPES`), cue patterns on the
question and on the quote, and the probes ("Why?", "Tell me more") that carry the previous
question's topic. Nothing here is specific to one product or market; a study's own guide
questions, descriptions and examples are added on top (`categorize.CategoryPrior`).

Kept apart from categorize.py so the model reads without scrolling past the word lists.
How well questions worded unlike these prototypes are recognised is measured on six banks of
guide questions (tests/data/guide_questions.tsv, tests/test_guide_questions.py; 0.83 of the four
banks nothing here was fitted to).
"""
from __future__ import annotations

import re

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
        "What brought you to the product?",
        "Did you find it through a search, an ad or a person?",
        "Where was it that you first ran into it?",
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
        "What kicked off the search for something new?",
        "Was something specific going wrong at the time?",
        "Why did you act when you did?",
        "What frustrated you enough to look for a fix?",
    ],
    "alternatives": [
        "What other options did you consider?",
        "What were you using before?",
        "Which other products or vendors did you look at?",
        "How were you handling this before you switched?",
        "What alternatives did you evaluate?",
        "What else were you weighing up?",
        "Did you look at any other products?",
        "How did you manage before you had it?",
        "What would you be doing today without it?",
        "Which competitors were you comparing?",
        "Did you try any free options first?",
    ],
    "criteria": [
        "What mattered most when you were choosing?",
        "What were your must-have requirements?",
        "How did you decide between the options?",
        "What were your top criteria for the decision?",
        "What was most important to you when comparing products?",
        "What did you care about most when evaluating?",
        "What was the deciding factor?",
        "What did it absolutely need to do?",
        "What made it stand out from the rest?",
        "Which features did you need most when choosing?",
    ],
    "fear": [
        "What worried you about switching?",
        "What were you afraid might go wrong?",
        "What concerns did you have about moving to a new system?",
        "Were you nervous about anything?",
        "What risks did you see in making the change?",
        "What kept you up at night about the change?",
        "What was the worst case you imagined?",
        "Did anything about the change make you uneasy?",
        "What doubts did you have about moving over?",
    ],
    "objection": [
        "What almost stopped you from buying?",
        "What made you hesitate before signing?",
        "Was there anything that nearly made you walk away?",
        "Were there reasons you almost didn't go ahead?",
        "What pushback or objections came up before the purchase?",
        "What was the sticking point in the deal?",
        "Did anything make you think twice about buying?",
        "What nearly made you say no?",
        "What slowed the decision down?",
        "Was anything about the offer a problem for you?",
        "Did anyone have to sign it off?",
    ],
    "outcome": [
        "What were you hoping to achieve?",
        "What results did you expect?",
        "What did success look like for you?",
        "What did you hope would change afterwards?",
        "What outcomes were you hoping for?",
        "What did you expect to get out of it?",
        "What difference did you expect it to make?",
        "What would make it worth it for you?",
        "What goal were you trying to reach?",
        # what it has changed since (a realised outcome, as common in guides as the hoped-for one)
        "What has it changed for you so far?",
        "What's improved since you've had it?",
        "What difference has it made?",
        "What have you gained from it?",
    ],
    "usage": [
        "How do you use it day to day?",
        "Walk me through a typical day using it.",
        "How does your team use the product now?",
        "Describe a normal morning with it.",
        "Which features do you use the most?",
        "Tell me how you use it now.",
        "How often do you use it?",
        "Which parts of it do you use most?",
        "What do you mostly use it for?",
        "Who uses it at your place, and for what?",
    ],
    "adjacent_purchase": [
        "What did you buy before you bought this product?",
        "What else did you buy at the same time?",
        "What did you buy after you started using it?",
        "Which other products or services did you purchase around then?",
        "What other services did you sign up for afterwards?",
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
        "How long have you been doing this job?",
        "How big is your team?",
        "Anything you want to add before we finish?",
        "What would you improve about it?",
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
    "adjacent_purchase": [
        "Around the same time we also bought new laptops for the office.",
        "Before that we had signed up for an accounting service.",
        "Afterwards we subscribed to an email marketing tool as well.",
        "We bought a card reader along with it.",
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
               r"\bwhat was going wrong\b|\bin motion\b|\bkick(ed|s)? (it |things |this |the \w+ )?off\b|\bdo something about\b|"
               r"\b(now|then) rather than\b|\b(think|thinking) (about|of) (switching|changing|moving|replacing)\b",
    "alternatives": r"\balternative|\bother (options|products|tools|vendors|solutions|apps|providers|suppliers|platforms|companies)|\belse (did|were) you (consider|try|look|weigh|evaluat)|"
                    r"\busing before\b|\bbefore you (chose|switched|picked|bought)|\bweighing( up)?\b|\bcompetitor|\binstead\b|"
                    r"\bwhat else did you (try|consider|look)|\bon the table\b|\blook(ed|ing)? at (anything|any|other|something) else\b|"
                    r"\bcompar(e|ing|ed) (it|them|this) (against|to|with)\b|\bconsider(ed|ing)? (anything|any|other)\b|\bshortlist|"
                    r"\b(doing|using|handling|managing|manage|handle|do|use)\b.{0,25}\bbefore(\W*$| (you|this|that|then|we|it|switching|signing|getting|having)\b)|"
                    r"\b(try|tried|trial|trialled|test|tested) (any |some )?other\b|\bif (this|it|we|they) (didn't|did not|hadn't|had not) exist|"
                    r"\bplan b\b|\bfall-? ?back\b|\bback-?up plan\b",
    "criteria": r"\bmattered( most)?\b|\bmust[- ]haves?\b|\bcriteri|\brequirement|\bmost important\b|\bcare(d)? about most\b|"
                r"\bhow did you (decide|choose|pick|compare)|\bdeal[- ]?breaker|\bwhen (you were )?(comparing|choosing|evaluating)|"
                r"\blook(ing|ed)? for in\b|\bnon[- ]negotiable|\bwhy did you (choose|pick|go with)\b|\bend up (picking|choosing|going with)\b|"
                r"\bwhat made you (choose|pick|go with|go for)\b|\bwhat sealed\b|\btipped (it|the balance)\b|\bdeciding factor\b|"
                r"\bboxes\b.{0,25}\btick|\btick.{0,12}\bboxes\b|\b(it|a \w+|the \w+) (had|have|has|need|needed) to (do|have|be)\b|"
                r"\bneed(ed)? it to\b|\bfinal (choice|decision)\b",
    "fear": r"\bworr|\bafraid\b|\bnervous\b|\bconcern|\bfear|\brisk|\banxious\b|\bgo wrong\b|\bscared\b|"
            r"\b(keep|kept|keeping) you up at night\b|\blose sleep\b|\bapprehensi|\buneasy\b",
    "objection": r"\bhesitat|\balmost (stopped|didn't|did not|walked|made)|\bnearly (made|stopped|walked|didn't)|\bwalk away\b|"
                 r"\bstop(ped)? you from\b|\bsticking point\b|\bobjection|\bpush ?back\b|\balmost didn't\b|\breservations?\b|"
                 r"\bholding you back\b|\bwhat held you back\b|\bdidn't (go ahead|buy)\b|\balmost not\b|"
                 r"\bpull(ed)? the plug\b|\bthink twice\b|\bsecond thoughts\b|\bcold feet\b|\bdeal[- ]?breaker|\bblocker|"
                 r"\bthe catch\b|\bdownsides?\b|\bdrawbacks?\b|\bred flags?\b|\b(gave|give) you pause\b",
    "outcome": r"\bhop(e|ed|ing) (to|for|would|it would)|\bhoping\b|\bexpect|\bachieve|\boutcomes?\b|\bresults?\b|\bsuccess\b|"
               r"\bwould change\b|\bbe different\b|\bget out of it\b|\bwanted to (get|gain)\b|\bgoals?\b|"
               r"\bwould be true\b|\bfast forward\b|\bwhat would (good|great) look like\b|\baim(ing|ed)? (for|at)\b|"
               r"\bwhat('s| has| have)( it)? (changed|improved)\b|\bwhat (difference|impact) (has|did|does) it\b|"
               r"\b(saved|save|saving) you\b|\bbetter now\b|\bdone for (you|the business|your)\b",
    "usage": r"\bday[- ]to[- ]day\b|\btypical (day|morning|week)\b|\bnormal (day|morning|week)\b|\bhow (do|does) (you|the team|your team|they) use\b|"
             r"\buse it (now|today|on)\b|\bhow you use\b|\bwalk me through (a|your) (typical|normal)|\bworkflow\b|\broutine\b|"
             r"\bmorning with it\b|\b(features?|parts?|screens?|modules?|functions?) (of it )?(do )?you use\b|\bwhen you (open|log in|log into) it\b|\b(week|day|month) with it\b|\bhow (do|does) .{1,30}\buse it\b|"
             r"\bwhen do you (open|use|check)\b",
    "adjacent_purchase": r"\bwhat (else |other \w+ )?did you (buy|purchase|sign up for|subscribe to)\b|"
                         r"\b(buy|bought|purchase|purchased) (before|after|alongside|around the same time|at the same time)\b|"
                         r"\b(also|else) (buy|bought|purchase)\b",
    "nps_score": r"\brecommend\b.*\b(zero|0|one|1) to (ten|10)\b|\b(zero|0|one|1) to (ten|10)\b.*\brecommend|\bhow likely\b.*\brecommend|"
                 r"\bscale\b.*\brecommend|\brecommend\b.*\bscale\b",
    "nps_reason": r"\bwhy (a|an|that) (score|number|rating|zero|one|two|three|four|five|six|seven|eight|nine|ten|\d+)\b|"
                  r"\bbehind (that|the|your) (score|number|rating|zero|one|two|three|four|five|six|seven|eight|nine|ten|\d+)\b|"
                  r"\b(that|your|the) (score|rating)\b|\bmake it a (ten|10|nine|9)\b|\b(get|getting) (it )?to a (ten|10|nine|9)\b|"
                  r"\bwhat would it take\b|\bwhy not (a )?(ten|10|higher)\b",
    "other": r"\babout yourself\b|\b(about|describe|what's|what is|what does)\b.{0,12}\byour (role|job|background|business|company|clinic|practice|organi[sz]ation|team)\b\?|"
             r"\btell me (a (bit|little) )?about your\b|\bwhat do you do\b|\bpicture of your\b|\bintroduce yourself\b|"
             r"\banything else (you'd|you would|you want|to) (like to )?(add|say|share|mention|tell)\b|\bhaven't covered\b|\bwish it did\b|\byou('d| would) change\b|"
             r"\bdo better\b|\bimprove\b|\bmagic wand\b|\bmissing from\b|\bto add\b|\b(last|final|closing) thoughts\b|"
             r"\bbefore we (wrap|finish|close|end)\b",
}

# Probes that carry the previous question's topic forward (short, no topic of their own).
FOLLOW_UP = re.compile(
    r"^\W*(?:(?:and|so|okay|ok|right|great|got it|interesting|mm-hmm)\W+)*"
    r"(why\W*$|why (is|was) that|why not|how so|how come|say more|tell me more|can you (say|tell me) more|"
    r"could you (say|tell me) more|what do you mean|in what way|go on|such as|for example|like what|"
    r"what happened( next| then)?|tell me how (that|it) went|how did (that|it) go|what was that like|"
    r"anything else\W*$|(was there|is there) anything else\b(?! (you'd|you would|you want|to) (like to )?(add|say|share|mention|tell))|"
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
    "adjacent_purchase": r"\b(also|then) (bought|purchased|signed up for|subscribed to)\b|\bbought .{1,40}\b(along with|at the same time)\b|"
                         r"\b(afterwards|after that|since then),? (we|i) (bought|got|added|signed up|subscribed)\b",
    "usage": r"\bevery (day|morning|evening|week)\b|\b(first thing|day view|each morning|in the morning|at lunch)\b|"
             r"\bi (check|open|glance|look at|go through)\b|\bon my phone\b",
}

QUESTION_CUE_PATTERNS = {c: re.compile(p, re.I) for c, p in QUESTION_CUES.items()}
QUOTE_CUE_PATTERNS = {c: re.compile(p, re.I) for c, p in QUOTE_CUES.items()}
