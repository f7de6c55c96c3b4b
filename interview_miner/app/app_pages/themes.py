"""Themes board: per category, top-level themes with their sub-themes one level down (expandable)
and their quotes; rename, merge, split, nest, delete, move, tag, star at both levels."""
import streamlit as st

from interview_miner import codebook, hear_again, label_doubts, overlay, overview, review, second_hearing
from interview_miner.app import ui
from interview_miner.errors import describe
from interview_miner.quotes import unsure_spans, words_in

UNTHEMED = "__unthemed__"

store = ui.get_store()
ui.show_flash()
st.title("Themes")
st.caption("What participants said, grouped by category and theme. Every change is saved at once "
           "and kept when interviews are mined again.")

quotes = store.quotes()
if not quotes:
    ui.empty("No themes yet — add interviews on the Study page and press *Process everything*.")
    st.stop()
cb = codebook.load(store)  # the study's categories: board order and titles
for q in quotes:
    q.category = cb.effective(q.category)  # a removed category's quotes show under Other
themes = store.themes(quotes)  # top level; sub-themes in themes.sub_themes
subs_of = {t.id: overlay.sub_themes_of(themes.sub_themes, t.id) for t in themes}
interviews = {i.id: i for i in store.list_interviews()}
by_quote = {q.id: q for q in quotes}
visible = {t.id: t for t in themes.all()}
unthemed = [q for q in quotes if q.theme_id not in visible]
tags_in_use = review.all_tags(store)

m = st.columns(5)
m[0].metric("Themes", len(themes), help="Top-level themes")
m[1].metric("Sub-themes", len(themes.sub_themes), help="Finer points inside the themes, one level down")
m[2].metric("Quotes in themes", len(quotes) - len(unthemed))
m[3].metric("Unthemed quotes", len(unthemed))
m[4].metric("Key quotes", sum(q.starred for q in quotes), help="Starred quotes")

# Where a quote can be moved: any theme or sub-theme (listed under its theme), or any category as unthemed.
TARGETS = [f"theme:{x.id}" for t in sorted(themes, key=lambda t: (cb.rank(t.category), t.label)) for x in [t, *subs_of[t.id]]]
TARGETS += [f"cat:{c}" for c in cb.keys]


def target_label(target: str) -> str:
    kind, _, value = target.partition(":")
    if kind == "theme":
        t = visible[value]
        path = f"{visible[t.parent_id].label} › {t.label}" if t.parent_id in visible else t.label
        return f"{cb.title(t.category)} › {path}"
    return f"{cb.title(value)} › (no theme)"


def counts(t) -> str:
    """'3 participants · 5 quotes': how widely a theme (or sub-theme) was heard."""
    n, k = t.n_participants, len(t.quote_ids)
    return f"{n} participant{'s' if n != 1 else ''} · {k} quote{'s' if k != 1 else ''}"


def who(q) -> str:
    i = interviews.get(q.interview_id)
    return (i.participant or i.file_name) if i else "?"


_segments: dict[int, list] = {}
_odd: dict[str, object] = {}  # language -> label_doubts.rare_and_said_once
_heard = overview.kept_hearings(store, interviews)  # what mining heard again, for names it contradicts


def segments_of(interview_id: int) -> list:
    if interview_id not in _segments:
        _segments[interview_id] = store.segments(interview_id)
    return _segments[interview_id]


def unsure(q) -> list[tuple[int, int, float]]:
    """Where in the quote the recogniser was unsure (the Transcript page's orange marks)."""
    return unsure_spans(q.text, words_in(q, segments_of(q.interview_id)))


def unclear_name(t) -> None:
    """Words of the theme's name its quotes were heard unsure of: listen before sharing it."""
    first = by_quote.get(t.representative_quote_id) or next((by_quote[i] for i in t.quote_ids if i in by_quote), None)
    i = interviews.get(first.interview_id) if first else None
    lang = (i.language if i else None) or "en"
    if lang not in _odd:
        _odd[lang] = label_doubts.rare_and_said_once(quotes, lang)
    found = overview.unclear_name(t, by_quote, segments_of, lang, _odd[lang], _heard) if first else None
    if found is None:
        return
    q = found.quote
    left, right = st.columns([1, 6], vertical_alignment="center", gap="small")
    with left:
        ui.play_button(interviews.get(q.interview_id), q.start, key=f"play_name_{t.id}", label=ui.clock(q.start))
    heard = ", ".join(f":orange-background[{ui.escape_md(w)}]" for w in found.words)
    right.caption(f":material/hearing: May be misheard in this name: {heard}. Listen to {ui.escape_md(who(q))} "
                  "here and rename the theme if so.",
                  help="Words Whisper was unsure of, words a second model heard otherwise there, and rare words "
                       "only one interview has: a confident mishearing looks like a rare word no one else said.")
    interview = interviews.get(q.interview_id)
    if interview is None or interview.kind != "audio" or not interview.stored_path:
        return
    key = f"again_{t.id}_{q.id}"
    if key not in st.session_state:  # heard again when mined (an unsure quote): shown at once
        kept = second_hearing.kept_hearing(store.get_embeddings, interview, q)
        if kept is not None:
            st.session_state[key] = kept
    if key in st.session_state:
        again = st.session_state[key]
        st.caption(f"Another model heard: “{ui.escape_md(again)}”" if again else "Another model heard no clear words there.")
    elif hear_again.available() and st.button("Hear it with another model", key=f"again_go_{t.id}", type="tertiary", icon=":material/hearing:",
                   help="What a second speech model (Whisper base) hears in the same seconds: often the right "
                        "words where Whisper misheard, but it mishears too, so listen before you rename."):
        with st.spinner("Listening again…"):
            try:
                st.session_state[key] = hear_again.hear_again(interview.stored_path, q.start, q.end, interview.language)
            except ui.USER_ERRORS as e:
                st.error(f"Could not hear it again: {describe(e, 'app')}")
                return
        st.rerun()


def move(qid: str, target: str) -> None:
    kind, _, value = target.partition(":")
    if kind == "theme":
        review.move_quote(store, qid, theme_id=value)
    else:
        review.move_quote(store, qid, category=value)


def quote_row(q, where: str) -> None:
    with st.container(border=True, gap="xsmall"):
        tags = " ".join(f":violet-badge[{ui.escape_md(t)}]" for t in q.tags)
        st.markdown(f"“{ui.mark_unsure(q.text, unsure(q))}” {tags}")
        bar = st.container(horizontal=True, vertical_alignment="center", gap="small")
        with bar:
            ui.play_button(interviews.get(q.interview_id), q.start, key=f"play_{where}_{q.id}", label=ui.clock(q.start))
            st.caption(ui.escape_md(who(q)), width="content")
            st.space("stretch")
            st.button("★ Key quote" if q.starred else "☆ Star", key=f"star_{where}_{q.id}", type="tertiary",
                      help="Unstar" if q.starred else "Star as a key quote",
                      on_click=ui.callback(review.star_quote, store, q.id, not q.starred))
        with bar.popover("Move / tag", icon=":material/sell:", type="tertiary",
                         help="Move to another theme or category, or tag"):
            finest = q.sub_theme_id if q.sub_theme_id in visible else q.theme_id
            here = f"theme:{finest}" if finest in visible else f"cat:{q.category}"
            options = TARGETS if here in TARGETS else [here, *TARGETS]
            dest = st.selectbox("Move to", options, index=options.index(here), format_func=target_label,
                                key=f"dest_{where}_{q.id}")
            if st.button("Move", key=f"move_{where}_{q.id}", disabled=dest == here, icon=":material/drive_file_move:"):
                ui.act(move, q.id, dest, done=f"Moved to {target_label(dest)}")
            key = ui.key_of("qtags", where, q.id, q.tags)
            st.multiselect("Tags", sorted(set(tags_in_use) | set(q.tags)), default=q.tags, key=key,
                           accept_new_options=True, placeholder="Add a tag",
                           on_change=ui.callback(review.tag_quote, store, q.id, key=key))


def theme_card(t, selected: str | None, cat: str) -> None:
    with st.container(border=True):
        c = st.columns([6, 1], vertical_alignment="center")
        n_subs = len(subs_of[t.id])
        nested = f" · {n_subs} sub-themes" if n_subs else ""
        c[0].markdown(f"**{ui.escape_md(t.label)}**  \n:gray[{counts(t)}{nested}]")
        c[1].button("", key=f"open_{t.id}", type="primary" if t.id == selected else "secondary",
                    icon=":material/chevron_right:", help="Open this theme",
                    on_click=st.session_state.__setitem__, args=(f"sel_{cat}", t.id))
        rep = by_quote.get(t.representative_quote_id)
        if rep:
            st.caption(f"“{ui.escape_md(ui.short(rep.text, 120))}”")
        if n_subs:  # the finer points at a glance, most voiced first
            names = [ui.escape_md(ui.short(x.label, 48)) for x in subs_of[t.id][:3]]
            more = f" · +{n_subs - 3} more" if n_subs > 3 else ""
            st.caption(":material/subdirectory_arrow_right: " + " · ".join(names) + more)


def theme_detail(t, siblings: list) -> None:
    st.subheader(t.label, anchor=False)
    keywords = f" · keywords: {', '.join(t.keywords[:6])}" if t.keywords else ""
    st.caption(f"{cb.title(t.category)} · {counts(t)}{keywords}")
    unclear_name(t)
    with st.container(horizontal=True):
        with st.popover("Rename", icon=":material/edit:"):
            label = st.text_input("Theme name", value=t.label, key=ui.key_of("rename", t.id, t.label))
            if st.button("Save name", key=f"rename_go_{t.id}", type="primary"):
                ui.act(review.rename_theme, store, t.id, label, done="Theme renamed")
        with st.popover("Merge", icon=":material/merge:", disabled=not siblings):
            pick = st.multiselect("Merge these themes into this one", [s.id for s in siblings], key=f"merge_{t.id}",
                                  format_func=lambda i: visible[i].label)
            st.caption("Their sub-themes come along as sub-themes of this one.")
            if st.button("Merge", key=f"merge_go_{t.id}", type="primary", disabled=not pick):
                ui.act(review.merge_themes, store, pick, into=t.id, done=f"Merged {len(pick)} into “{t.label}”")
        with st.popover("Nest", icon=":material/subdirectory_arrow_right:", disabled=not siblings,
                        help="Make this theme a sub-theme of another theme"):
            parent = st.selectbox("Sub-theme of", [s.id for s in siblings], key=f"nest_{t.id}",
                                  format_func=lambda i: visible[i].label)
            if st.button("Nest", key=f"nest_go_{t.id}", type="primary", disabled=parent is None):
                ui.act(review.nest_theme, store, t.id, parent, done=f"“{t.label}” is now a sub-theme")
        with st.popover("Split", icon=":material/call_split:", disabled=len(t.quote_ids) < 2):
            pick = st.multiselect("Quotes for the new theme", t.quote_ids, key=f"split_{t.id}",
                                  format_func=lambda q: ui.short(by_quote[q].text, 80))
            label = st.text_input("New theme name", key=f"split_label_{t.id}")
            if st.button("Split off", key=f"split_go_{t.id}", type="primary", disabled=not (pick and label.strip())):
                ui.act(review.split_theme, store, t.id, pick, label, done=f"New theme “{label.strip()}”")
        with st.popover("Delete", icon=":material/delete:"):
            st.caption("The theme and its sub-themes disappear; their quotes stay in the study as unthemed quotes.")
            if st.button("Delete theme", key=f"delete_go_{t.id}", type="primary"):
                st.session_state.pop(f"sel_{t.category}", None)
                ui.act(review.delete_theme, store, t.id, done=f"Deleted “{t.label}”")
    key = ui.key_of("ttags", t.id, t.tags)
    st.multiselect("Theme tags", sorted(set(tags_in_use) | set(t.tags)), default=t.tags, key=key,
                   accept_new_options=True, placeholder="Add a tag",
                   on_change=ui.callback(review.tag_theme, store, t.id, key=key))
    subs = subs_of[t.id]
    if not subs:
        for qid in t.quote_ids:
            quote_row(by_quote[qid], t.id)
        return
    st.markdown(f"**Sub-themes** :gray[— {len(subs)} finer points inside this theme; open one to see its quotes]")
    for sub in subs:
        with st.expander(f"{ui.escape_md(sub.label)} · :gray[{counts(sub)}]", key=f"exp_{sub.id}"):
            unclear_name(sub)
            sub_theme_tools(sub, t, [s for s in subs if s.id != sub.id])
            for qid in sub.quote_ids:
                quote_row(by_quote[qid], sub.id)
    direct = [qid for qid in t.quote_ids if by_quote[qid].sub_theme_id not in visible]
    if direct:
        with st.expander(f"In no sub-theme · :gray[{len(direct)} quote{'s' if len(direct) != 1 else ''}]",
                         key=f"exp_direct_{t.id}"):
            for qid in direct:
                quote_row(by_quote[qid], f"d_{t.id}")


def sub_theme_tools(sub, parent, siblings: list) -> None:
    """Rename, merge into a sibling, move under another theme (or lift to the top level), dissolve."""
    with st.container(horizontal=True):
        with st.popover("Rename", icon=":material/edit:", type="tertiary"):
            label = st.text_input("Sub-theme name", value=sub.label, key=ui.key_of("rename", sub.id, sub.label))
            if st.button("Save name", key=f"rename_go_{sub.id}", type="primary"):
                ui.act(review.rename_theme, store, sub.id, label, done="Sub-theme renamed")
        with st.popover("Merge", icon=":material/merge:", type="tertiary", disabled=not siblings):
            into = st.selectbox("Merge into", [s.id for s in siblings], key=f"merge_into_{sub.id}",
                                format_func=lambda i: visible[i].label)
            if st.button("Merge", key=f"merge_go_{sub.id}", type="primary", disabled=into is None):
                ui.act(review.merge_themes, store, [sub.id], into=into, done=f"Merged “{sub.label}”")
        with st.popover("Move", icon=":material/drive_file_move:", type="tertiary",
                        help="Put this sub-theme under another theme, or make it a theme of its own"):
            options = [None] + [x.id for x in themes if x.category == parent.category and x.id != parent.id]
            dest = st.selectbox("Sub-theme of", options, key=f"nest_{sub.id}",
                                format_func=lambda i: "(none: a theme of its own)" if i is None else visible[i].label)
            if st.button("Move", key=f"nest_go_{sub.id}", type="primary"):
                ui.act(review.nest_theme, store, sub.id, dest, done=f"Moved “{sub.label}”")
        with st.popover("Dissolve", icon=":material/delete:", type="tertiary"):
            st.caption(f"The sub-theme disappears; its quotes stay in “{parent.label}”.")
            if st.button("Dissolve sub-theme", key=f"delete_go_{sub.id}", type="primary"):
                ui.act(review.delete_theme, store, sub.id, done=f"Dissolved “{sub.label}” into “{parent.label}”")


def unthemed_detail(cat: str, loose: list) -> None:
    st.subheader("Unthemed quotes", anchor=False)
    st.caption("Quotes no theme took (or whose theme was deleted). Move them with ⋮, or group some into a new theme.")
    with st.popover("New theme from quotes", icon=":material/add:"):
        pick = st.multiselect("Quotes", [q.id for q in loose], key=f"new_{cat}",
                              format_func=lambda q: ui.short(by_quote[q].text, 80))
        label = st.text_input("Theme name", key=f"new_label_{cat}")
        if st.button("Create theme", key=f"new_go_{cat}", type="primary", disabled=not (pick and label.strip())):
            ui.act(review.create_theme, store, cat, label, pick, done=f"New theme “{label.strip()}”")
    for q in loose:
        quote_row(q, f"u_{cat}")


def board(cat: str) -> None:
    cat_themes = sorted((t for t in themes if t.category == cat),
                        key=lambda t: (-t.n_participants, -len(t.quote_ids), t.label))
    loose = [q for q in unthemed if q.category == cat]
    ids = [t.id for t in cat_themes] + ([UNTHEMED] if loose else [])
    selected = st.session_state.get(f"sel_{cat}")
    if selected not in ids:  # keep showing the same theme while edits reorder the list
        selected = st.session_state[f"sel_{cat}"] = ids[0] if ids else None
    left, right = st.columns([2, 3], gap="large")
    with left:
        if not cat_themes:
            st.caption("No themes in this category yet.")
        with st.container(height=720 if len(ids) > 6 else "content", border=False):
            for t in cat_themes:
                theme_card(t, selected, cat)
            if loose:
                with st.container(border=True):
                    c = st.columns([6, 1], vertical_alignment="center")
                    c[0].markdown(f"**Unthemed quotes**  \n:gray[{len(loose)} quote{'s' if len(loose) != 1 else ''} to sort]")
                    c[1].button("", key=f"open_u_{cat}", icon=":material/chevron_right:", help="Open the unthemed quotes",
                                type="primary" if selected == UNTHEMED else "secondary",
                                on_click=st.session_state.__setitem__, args=(f"sel_{cat}", UNTHEMED))
    with right:
        if selected == UNTHEMED:
            unthemed_detail(cat, loose)
        elif selected:
            theme_detail(visible[selected], [t for t in cat_themes if t.id != selected])


cats = [c for c in cb.keys if any(t.category == c for t in themes) or any(q.category == c for q in quotes)]
tabs = st.tabs([cb.title(c) for c in cats], key="category", on_change="rerun", bind="query-params")
for cat, tab in zip(cats, tabs):
    if tab.open is False:
        continue
    with tab:
        board(cat)
