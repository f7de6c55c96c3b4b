"""Personas: suggested from the themes, every field editable, every claim backed by chosen quotes."""
import streamlit as st

from interview_miner.app.persona_canvas import canvas_panel, card_downloads, deck_download, key_mapping, versions_panel
from interview_miner import canvas, overview, persona_review
from interview_miner import personas as P
from interview_miner import review
from interview_miner.app import ui
from interview_miner.export import load_study
from interview_miner.models import PERSONA_FIELDS, PersonaField

store = ui.get_store()
ui.show_flash()
st.title("Personas")
st.caption("Suggested from who said what; rename them, rewrite any claim and pick the quotes "
           "that back it. The badge on each claim says how many participants stand behind it.")

personas = store.personas()
top = st.container(horizontal=True, vertical_alignment="bottom")
with top:
    if st.button("Suggest personas again" if personas else "Suggest personas", icon=":material/auto_awesome:",
                 help="Group participants again from the current themes; your edits are kept" if personas
                 else "Group participants by the themes they share"):
        with st.spinner("Grouping participants…"):
            ui.act(persona_review.suggest_and_save, store, done="Personas suggested")
    with st.popover("New persona", icon=":material/person_add:"):
        name = st.text_input("Name", key="new_persona_name", placeholder="e.g. The cautious practice manager")
        if st.button("Create", type="primary", disabled=not name.strip()):
            ui.act(persona_review.create_persona, store, name, done=f"Created “{name.strip()}”")

versions_panel(store)
personas = store.personas()
if not personas:
    if store.themes():
        ui.empty("No personas yet — the themes are mined: press *Suggest personas* to group the participants by them.")
    else:
        ui.empty("No personas yet — mine themes on the Study page, then press *Suggest personas*.")
    st.stop()

quotes = store.quotes()
by_quote = {q.id: q for q in quotes}
interviews = {i.id: i for i in store.list_interviews()}
study = load_study(store, with_segments=False)
canvases = {c.persona_id: c for c in canvas.study_canvases(study)}
study_keys = sorted({k for i in study.interviews for k in (i.metadata or {}) if k.casefold() not in P.TECHNICAL_META},
                    key=str.casefold)
unclear = overview.unclear_names(store)  # theme names that may be misheard: a persona named after one says so
with top:
    deck_download(study, list(canvases.values()))
    key_mapping(store, study_keys)


def who(iid: int) -> str:
    i = interviews.get(iid)
    return (i.participant or i.file_name) if i else str(iid)


def set_avatar(pid: str, key: str) -> None:
    upload = st.session_state.get(key)
    if upload is not None:
        try:
            canvas.set_photo(store, pid, upload.getvalue(), upload.name)
        except canvas.PhotoError as e:  # not an image, or too large: the persona stays as it was
            ui.flash(str(e), "error")
        else:
            ui.flash("Photo saved")


def text_field(p, field: str, label: str, area: bool = False, **kw) -> None:
    value = getattr(p, field)
    key = ui.key_of("pf", p.id, field, value)
    widget = st.text_area if area else st.text_input
    widget(label, value=value, key=key, on_change=ui.callback(persona_review.set_field, store, p.id, field, key=key), **kw)


def claim(p, field: str) -> None:
    f = p.fields.get(field) or PersonaField()
    n_people, n_quotes = review.participants_backing(store, f.quote_ids, quotes, list(interviews.values()))
    color = "green" if n_people >= 2 else "orange" if n_people == 1 else "gray"
    with st.container(border=True):
        with st.container(horizontal=True, vertical_alignment="center"):
            st.markdown(f"**{P.FIELD_TITLES.get(field, field.title())}**", width="content")
            st.space("stretch")
            st.badge(f"{n_people} participant{'s' if n_people != 1 else ''}", color=color, icon=":material/groups:",
                     help=f"{n_quotes} supporting quote{'s' if n_quotes != 1 else ''} from {n_people} different people")
        key = ui.key_of("claim", p.id, field, f.text)
        st.text_area("Claim", value=f.text, key=key, height=90, label_visibility="collapsed",
                     placeholder="What this persona thinks, in one or two sentences",
                     on_change=ui.callback(persona_review.set_field, store, p.id, field, key=key))
        cats = P.FIELD_CATEGORIES.get(field, ())
        members = set(p.interview_ids)
        relevant = sorted((q for q in quotes if q.category in cats),
                          key=lambda q: (q.interview_id not in members, q.interview_id, q.start))
        options = list(dict.fromkeys([*[q for q in f.quote_ids if q in by_quote], *[q.id for q in relevant]]))
        key = ui.key_of("evidence", p.id, field, f.quote_ids)
        st.multiselect(f"Supporting quotes ({n_quotes})", options, default=[q for q in f.quote_ids if q in by_quote], key=key,
                       format_func=lambda q: f"“{ui.short(by_quote[q].text, 70)}” — {who(by_quote[q].interview_id)}",
                       placeholder="Pick the quotes that back this claim",
                       on_change=ui.callback(persona_review.set_quotes, store, p.id, field, key=key))


def persona(p) -> None:
    left, right = st.columns([1, 3], gap="large")
    with left:
        photo = ui.data_uri_bytes(p.avatar)
        if photo:
            st.image(photo, width=180)
        else:
            st.markdown("# :material/account_circle:")
        key = f"avatar_{p.id}"
        st.file_uploader("Photo", type=["png", "jpg", "jpeg", "webp"], key=key, max_upload_size=5,
                         on_change=set_avatar, args=(p.id, key), help="Shown on the persona card and in exports")
        st.metric("Interviews", len(p.interview_ids))
        card_downloads(study, canvases[p.id])
        with st.popover("Delete persona", icon=":material/delete:"):
            st.caption("Removes the persona; the interviews and quotes stay in the study.")
            if st.button("Delete", key=f"del_{p.id}", type="primary"):
                ui.act(persona_review.delete_persona, store, p.id, done=f"Deleted “{p.name}”")
    with right:
        text_field(p, "name", "Name")
        for u in (u for u in unclear if u.theme.label.casefold() in p.name.casefold()):
            heard = ", ".join(f":orange-background[{ui.escape_md(w)}]" for w in u.words)
            st.caption(f":material/hearing: This name is built on the theme “{ui.escape_md(u.theme.label)}”, whose "
                       f"words may be misheard ({heard}): listen to it on the Themes page before you share.")
        c = st.columns(2)
        with c[0]:
            text_field(p, "role", "Role", area=True, height=68)
        with c[1]:
            text_field(p, "demographics", "Demographics", area=True, height=68)
        text_field(p, "description", "Description", area=True, height=100)
        key = ui.key_of("members", p.id, sorted(p.interview_ids))
        st.multiselect("Interviews behind this persona", sorted(interviews), default=sorted(
            i for i in p.interview_ids if i in interviews), key=key, format_func=who,
            on_change=ui.callback(persona_review.set_members, store, p.id, key=key))
    canvas_panel(store, canvases[p.id], interviews)
    st.subheader("Claims and evidence", anchor=False)
    grid = st.columns(2, gap="medium")
    for n, field in enumerate(PERSONA_FIELDS):
        with grid[n % 2]:
            claim(p, field)


tabs = st.tabs([p.name for p in personas])
for p, tab in zip(personas, tabs):
    with tab:
        persona(p)
