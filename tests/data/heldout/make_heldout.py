"""Writes hold01.json / hold02.json: a small labelled held-out corpus in the dev corpus format.

A different product (Rotaly, staff rota software for hospitality) and differently worded
questions from the dev corpus, written to check that categories and themes generalise beyond the
ClinicFlow interviews: hold01-02 (Rotaly, rota software) and hold03-04 (Fieldnote, job
management for trades; written after the categorizer was tuned and used only to check it). Times are synthetic (2.5 words a second). Run: python make_heldout.py
"""
import json
from pathlib import Path

I, P = "interviewer", "participant"

INTERVIEWS = {
    "hold01": {
        "participant": {"name": "Sam Okafor", "role": "Owner of two restaurants"},
        "turns": [
            (I, "Hi Sam, thanks for hopping on. Give me the quick version of who you are and what you run."),
            (P, [("I run two Italian restaurants in Leeds, about forty staff between them.", "other", "other_background"),
                 ("I've been doing it for twelve years.", "other", "other_background")]),
            (I, "So what was the straw that broke the camel's back with your old way of doing rotas?"),
            (P, [("Honestly, it was a Saturday when three chefs didn't turn up because the rota had changed and nobody told them.", "trigger", "trigger_missed_shifts"),
                 ("We had to close half the kitchen that night.", "trigger", "trigger_missed_shifts")]),
            (I, "Who or what put Rotaly in front of you?"),
            (P, [("My accountant mentioned it when we were doing the year-end.", "channel", "channel_advisor"),
                 ("Then I kept seeing ads for it on Instagram.", "channel", "channel_social_ads")]),
            (I, "Did you look at anything else?"),
            (P, [("We were running it all on a WhatsApp group and a printed sheet stuck on the fridge.", "alternatives", "alt_manual"),
                 ("I also trialled one of the big HR platforms, but it was total overkill for us.", "alternatives", "alt_big_platform")]),
            (I, "How did you end up picking one?"),
            (P, [("It had to work on the staff's own phones, with no logins to forget.", "criteria", "criteria_mobile_app"),
                 ("And the price per location had to make sense for a small business.", "criteria", "criteria_price")]),
            (I, "Going in, what kept you up at night about changing?"),
            (P, [("That the older staff just wouldn't use an app.", "fear", "fear_staff_adoption"),
                 ("And losing all the holiday records we had on paper.", "fear", "fear_data_loss")]),
            (I, "Was there a moment you nearly pulled the plug on the purchase?"),
            (P, [("The setup fee.", "objection", "objection_upfront_cost"),
                 ("Paying three hundred pounds before we'd even seen it working felt wrong.", "objection", "objection_upfront_cost")]),
            (I, "Fast forward six months. What were you hoping would be true by then?"),
            (P, [("No more last-minute gaps in the kitchen.", "outcome", "outcome_full_cover"),
                 ("And me not spending every Sunday night doing the rota by hand.", "outcome", "outcome_time_saved")]),
            (I, "What does a normal week with it look like?"),
            (P, [("I build next week's rota on Thursday from a template and hit publish.", "usage", "usage_publish_rota"),
                 ("Staff swap shifts between themselves in the app, and I just approve the swaps.", "usage", "usage_shift_swaps")]),
            (I, "If a friend who runs a restaurant asked, how likely would you be to recommend Rotaly, zero being not at all and ten being extremely likely?"),
            (P, [("I'd give it an eight.", "nps_score", "nps_passive"),
                 ("It's saved me hours every single week.", "nps_reason", "nps_reason_time_saved")]),
            (I, "What would it take to get to a ten?"),
            (P, [("A better payroll export, honestly.", "nps_reason", "nps_reason_payroll_gap"),
                 ("We still retype all the hours into our payroll software.", "nps_reason", "nps_reason_payroll_gap")]),
            (I, "Anything you'd like to add before we wrap up?"),
            (P, [("No, that's about it.", "other", None)]),
        ],
    },
    "hold02": {
        "participant": {"name": "Rachel Lindqvist", "role": "Operations manager, hotel group"},
        "turns": [
            (I, "Thanks for your time, Rachel. What's your role?"),
            (P, [("I'm the operations manager for a group of four hotels.", "other", "other_background"),
                 ("I look after the front office and housekeeping teams.", "other", "other_background")]),
            (I, "Why did you start searching for a scheduling tool?"),
            (P, [("Staff turnover was brutal, and every new manager built the rota their own way.", "trigger", "trigger_turnover"),
                 ("Overtime costs were creeping up every single month.", "trigger", "trigger_overtime_costs")]),
            (I, "Where did you first come across Rotaly?"),
            (P, [("At a hospitality trade show in Birmingham.", "channel", "channel_trade_show"),
                 ("Later a manager at another hotel group vouched for it.", "channel", "channel_peer")]),
            (I, "What were you comparing it against?"),
            (P, [("Excel, really, plus the basic rota module in our payroll system.", "alternatives", "alt_manual"),
                 ("We got a quote from a big workforce management vendor too.", "alternatives", "alt_big_platform")]),
            (I, "What were your non-negotiables?"),
            (P, [("Integration with our payroll, first and foremost.", "criteria", "criteria_payroll_integration"),
                 ("And it had to handle staff working across several sites.", "criteria", "criteria_multi_site")]),
            (I, "Any worries when you signed up?"),
            (P, [("Mostly that the data migration would go wrong.", "fear", "fear_data_loss"),
                 ("We had years of holiday balances sitting in spreadsheets.", "fear", "fear_data_loss"),
                 ("I was also worried the managers would quietly keep their own spreadsheets on the side.", "fear", "fear_staff_adoption")]),
            (I, "Did anything make you think twice about going ahead?"),
            (P, [("The contract was three years minimum.", "objection", "objection_contract"),
                 ("I wasn't going to sign that without a break clause.", "objection", "objection_contract"),
                 ("And finance wanted a full business case before approving it.", "objection", "objection_approval")]),
            (I, "What did success look like for you?"),
            (P, [("Lower overtime, that was the number the board cared about.", "outcome", "outcome_lower_costs"),
                 ("And managers spending less time on admin.", "outcome", "outcome_time_saved")]),
            (I, "How do the hotels use it now?"),
            (P, [("Every manager publishes the rota two weeks ahead.", "usage", "usage_publish_rota"),
                 ("Staff pick up open shifts at the other hotels from their phones.", "usage", "usage_shift_swaps")]),
            (I, "Mm-hmm."),
            (P, [("And I look at the overtime dashboard every Monday morning.", "usage", "usage_dashboard")]),
            (I, "On a scale of zero to ten, how likely is it that you'd recommend Rotaly to a peer?"),
            (P, [("Nine out of ten.", "nps_score", "nps_promoter")]),
            (I, "Why nine?"),
            (P, [("Overtime dropped by about a fifth in the first quarter.", "nps_reason", "nps_reason_lower_costs"),
                 ("The only thing missing is a proper payroll export.", "nps_reason", "nps_reason_payroll_gap")]),
        ],
    },
}

INTERVIEWS_B = {
    "hold03": {
        "participant": {"name": "Dev Patel", "role": "Owner, plumbing and heating firm"},
        "turns": [
            (I, "Let's start with you. What does your business look like today?"),
            (P, [("We're a plumbing and heating firm, six engineers and two vans on the road most days.", "other", "other_background"),
                 ("My wife does the books and I still go out on jobs myself.", "other", "other_background")]),
            (I, "Can you remember the moment you decided the old system wasn't cutting it anymore?"),
            (P, [("We double-booked an engineer on two boiler installs on the same morning.", "trigger", "trigger_double_booking"),
                 ("One customer had taken the day off work and nobody turned up.", "trigger", "trigger_double_booking"),
                 ("On top of that, invoices were going out weeks late.", "trigger", "trigger_late_invoicing")]),
            (I, "And how did you find out Fieldnote existed?"),
            (P, [("Another plumber in a trade Facebook group posted a screenshot of it.", "channel", "channel_online_community"),
                 ("I then watched a couple of their videos on YouTube.", "channel", "channel_video")]),
            (I, "Before Fieldnote, what were you doing instead?"),
            (P, [("A wall planner in the office and a lot of text messages.", "alternatives", "alt_manual"),
                 ("I did try one of the big field service suites, but they wanted me on a call with a sales team before I could even see a price.", "alternatives", "alt_enterprise_suite")]),
            (I, "When you were choosing, what were the deciding factors?"),
            (P, [("The engineers had to be able to use it on site with dirty hands, so big buttons and offline mode.", "criteria", "criteria_mobile_offline"),
                 ("And it had to send invoices straight into our accounting package.", "criteria", "criteria_accounting_integration")]),
            (I, "Were there any risks you were weighing up?"),
            (P, [("My main fear was the lads refusing to use it.", "fear", "fear_staff_adoption"),
                 ("They're good engineers but they hate paperwork of any kind.", "fear", "fear_staff_adoption")]),
            (I, "Right."),
            (P, [("And I was scared of losing the customer history we'd built up over fifteen years.", "fear", "fear_data_loss")]),
            (I, "What, if anything, nearly stopped you signing up?"),
            (P, [("The per-engineer price.", "objection", "objection_price"),
                 ("It adds up fast when you've got six people, and margins in our trade are thin.", "objection", "objection_price")]),
            (I, "What did you want to be different once it was in?"),
            (P, [("Getting paid faster was the big one.", "outcome", "outcome_faster_payment"),
                 ("I also wanted my evenings back instead of doing paperwork at the kitchen table.", "outcome", "outcome_time_saved")]),
            (I, "Talk me through how the team uses it on a typical job."),
            (P, [("The engineer gets the job on their phone with the address and the customer's history.", "usage", "usage_job_dispatch"),
                 ("When they finish, they take photos, get a signature, and the invoice goes out before they've left the drive.", "usage", "usage_onsite_invoicing")]),
            (I, "Zero to ten, how likely are you to recommend Fieldnote to another tradesperson?"),
            (P, [("I'd say seven, maybe seven and a half.", "nps_score", "nps_passive")]),
            (I, "What's holding it back from a higher score?"),
            (P, [("The app crashes now and then when there's no signal.", "nps_reason", "nps_reason_reliability"),
                 ("But getting paid on the day has been brilliant for our cash flow.", "nps_reason", "nps_reason_faster_payment")]),
        ],
    },
    "hold04": {
        "participant": {"name": "Grace Mwangi", "role": "Operations lead, electrical contractor"},
        "turns": [
            (I, "Thanks for joining, Grace. Could you introduce yourself and your company?"),
            (P, [("Sure, I'm the operations lead at an electrical contractor with about twenty electricians.", "other", "other_background"),
                 ("We do mostly commercial fit-outs and some domestic work.", "other", "other_background")]),
            (I, "What was going wrong that made you look for a job management tool?"),
            (P, [("We were losing track of which jobs had been invoiced.", "trigger", "trigger_late_invoicing"),
                 ("At one point we found about forty thousand pounds of work that nobody had billed.", "trigger", "trigger_late_invoicing")]),
            (I, "Mm-hmm."),
            (P, [("And the office phone never stopped, with customers asking when the electrician would arrive.", "trigger", "trigger_customer_calls")]),
            (I, "How did you first come across it?"),
            (P, [("I found it on a software comparison website when I was reading reviews.", "channel", "channel_review_site"),
                 ("A contact at our wholesaler had also mentioned they'd seen other contractors using it.", "channel", "channel_word_of_mouth")]),
            (I, "What other routes did you consider?"),
            (P, [("Honestly, we considered just building more spreadsheets.", "alternatives", "alt_manual"),
                 ("We also had a demo of a big enterprise field service platform, which was far too complex for us.", "alternatives", "alt_enterprise_suite")]),
            (I, "What did it absolutely have to do?"),
            (P, [("It had to sync with our accounts software, because double entry was killing us.", "criteria", "criteria_accounting_integration"),
                 ("And customers needed automatic texts telling them when the engineer was on the way.", "criteria", "criteria_customer_notifications")]),
            (I, "What were your biggest concerns going in?"),
            (P, [("That the older electricians would just keep using paper job sheets.", "fear", "fear_staff_adoption"),
                 ("And that moving our customer records across would go badly wrong.", "fear", "fear_data_loss")]),
            (I, "Was there a point where the deal almost fell through?"),
            (P, [("Our managing director didn't want to sign a twelve-month contract.", "objection", "objection_contract"),
                 ("We only agreed once they offered a monthly plan for the first quarter.", "objection", "objection_contract")]),
            (I, "What results were you hoping to see?"),
            (P, [("Every job invoiced within a day of finishing.", "outcome", "outcome_faster_payment"),
                 ("And far fewer calls to the office from customers chasing us.", "outcome", "outcome_fewer_calls")]),
            (I, "And what does a normal day with Fieldnote look like now?"),
            (P, [("I assign the day's jobs from the dispatch board first thing.", "usage", "usage_job_dispatch"),
                 ("Customers get a text when the electrician is on the way, so the phone is much quieter.", "usage", "usage_customer_texts")]),
            (I, "How likely would you be to recommend it to a colleague? Zero to ten."),
            (P, [("Definitely a ten.", "nps_score", "nps_promoter"),
                 ("We haven't had a single unbilled job since we switched.", "nps_reason", "nps_reason_faster_payment")]),
            (I, "Is there anything you'd want them to improve?"),
            (P, [("Better reporting on how long each job type actually takes.", "other", "other_feature_request")]),
        ],
    },
}


def build(spec):
    clock, turns = 0.5, []
    for idx, (speaker, body) in enumerate(spec["turns"]):
        if speaker == I:
            dur = max(0.6, len(body.split()) / 2.5)
            turns.append({"index": idx, "speaker": I, "start": round(clock, 3), "end": round(clock + dur, 3), "text": body})
            clock += dur + 0.5
            continue
        start, sents = clock, []
        for j, (text, cat, theme) in enumerate(body):
            dur = max(0.5, len(text.split()) / 2.5)
            sents.append({"index": j, "text": text, "category": cat, "theme": theme,
                          "start": round(clock, 3), "end": round(clock + dur, 3)})
            clock += dur + 0.3
        turns.append({"index": idx, "speaker": P, "start": round(start, 3), "end": sents[-1]["end"],
                      "text": " ".join(s["text"] for s in sents), "sentences": sents})
        clock += 0.5
    return turns


if __name__ == "__main__":
    here = Path(__file__).parent
    for key, spec in {**INTERVIEWS, **INTERVIEWS_B}.items():
        out = {"id": key, "participant": spec["participant"], "turns": build(spec)}
        out["duration"] = out["turns"][-1]["end"] + 1.0
        (here / f"{key}.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
