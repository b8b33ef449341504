"""/start and /help: what the bot does, in the user's language."""

from __future__ import annotations

from sqlalchemy import exists, select

from bot.core.context import Replies
from bot.core.i18n import N_
from bot.core.markup import Text, bold, join, plain
from bot.core.replies import Button, Reply
from handlers.base import Ctx, action_arg, new_router
from storage.models import Election
from storage.roles import Roles, roles_of

router = new_router()

#: What everyone may do, in /help in this order; the platforms' command menus take those
#: registered with a description.
HELP = (
    ("start", N_("what this bot does")),
    ("area", N_("find your district, its elections and candidates")),
    ("search", N_("find a candidate by name, in characters or pinyin")),
    ("candidate", N_("a candidate's profile, by number or name")),
    ("elections", N_("election dates and the legal deadlines before them")),
    ("now", N_("what you can still do before the election, with each deadline")),
    ("topics", N_("candidates' platforms by topic")),
    ("compare", N_("a district's candidates side by side, topic by topic")),
    ("rights", N_("your rights as a voter and as a candidate")),
    ("report", N_("report harassment or irregularities, anonymously")),
    ("status", N_("follow up on your report with its receipt")),
    ("claim", N_("for a candidate: claim your profile with the code a moderator gave you")),
    ("incidents", N_("published incident summaries and counts")),
    ("subscribe", N_("be told when a place's election dates are announced or change")),
    ("subscriptions", N_("the places you follow")),
    ("unsubscribe", N_("stop following a place")),
    ("language", N_("中文 / English")),
    ("forget", N_("delete everything I keep about you")),
    ("cancel", N_("stop what you are doing")),
    ("help", N_("this list")),
)
DESCRIPTIONS = dict(HELP)
#: What /help adds for an account that speaks for a verified candidate.
CANDIDATE_HELP = (
    ("update", N_("propose a platform point, an event, a statement, a link or a withdrawal")),
    ("myprofile", N_("your profile as citizens see it, and what became of your updates")),
)
#: What /help adds for moderators (and administrators, who moderate too).
MODERATOR_HELP = (
    ("queue", N_("the next item to review; /queue quarantine opens the quarantine")),
    ("verify", N_("a one-time claim code for the candidate with this number")),
    ("revoke", N_("end the claims on the candidate with this number")),
    ("trust", N_("publish this candidate's updates at once (add 'off' to stop)")),
    ("setdate", N_("record a place's election day or a milestone")),
    ("stats", N_("report counts by kind, place and week")),
)
#: What /help adds for administrators.
ADMIN_HELP = (
    ("mods", N_("list, add or remove moderators and volunteers")),
    ("audit", N_("the latest audit entries and whether the chain holds")),
)
#: What /help adds for volunteers and moderators, who enter candidate lists.
LIST_HELP = (
    ("addcandidate", N_("add a candidate from the election committee's notice, with its source")),
    (
        "editcandidate",
        N_("correct a candidate's name, stage, nomination or seats, with the source"),
    ),
)

DEMO_NOTICE = N_("Demo data: every candidate shown here is fictional.")


async def demo_notice(ctx: Ctx) -> Text:
    has_demo = await ctx.unit.session.scalar(select(exists().where(Election.demo.is_(True))))
    return plain(ctx._(DEMO_NOTICE)) if has_demo else Text()


async def role_line(ctx: Ctx) -> Text:
    roles = await roles_of(ctx.unit.session, ctx.event.sender.platform, ctx.event.sender.id)
    if roles.is_admin:
        return plain(ctx._("You are signed in as an administrator."))
    if roles.is_moderator:
        return plain(ctx._("You are signed in as a moderator."))
    if roles.enters_lists:
        return plain(ctx._("You are signed in as a volunteer: you enter candidate lists."))
    if roles.candidacy_ids:
        return plain(ctx._("Your account speaks for a verified candidate."))
    return Text()


def menu(ctx: Ctx) -> list[list[Button]]:
    return [
        [
            Button(ctx._("Find my district"), "menu:area"),
            Button(ctx._("Search a candidate"), "menu:search"),
        ],
        [
            Button(ctx._("Election dates"), "menu:elections"),
            Button(ctx._("My rights"), "menu:rights"),
        ],
        [Button(ctx._("Help"), "menu:help"), Button(ctx._("Language / 语言"), "menu:language")],
    ]


@router.command("start", description=DESCRIPTIONS["start"])
async def start(ctx: Ctx) -> Reply:
    parts = [
        bold(ctx._("Welcome to candibot.")),
        plain(
            ctx._(
                "I tell you who is standing in your local people's congress election, "
                "what each candidate stands for, and when the vote is."
            )
        ),
        plain(ctx._("Type a candidate's name, in characters or pinyin, to look them up.")),
        await role_line(ctx),
        await demo_notice(ctx),
    ]
    return Reply.of(join(part for part in parts if part), menu(ctx))


def _section(ctx: Ctx, heading: str, commands: tuple[tuple[str, str], ...]) -> list[Text]:
    lines: list[Text] = [bold(ctx._(heading))]
    return lines + [plain(f"/{name} — {ctx._(description)}") for name, description in commands]


def commands_for(roles: Roles) -> tuple[tuple[str, str], ...]:
    """Every command this account may use, citizens' first."""
    commands: tuple[tuple[str, str], ...] = HELP
    if roles.candidacy_ids:
        commands += CANDIDATE_HELP
    if roles.enters_lists:
        commands += LIST_HELP
    if roles.is_moderator:
        commands += MODERATOR_HELP
    if roles.is_admin:
        commands += ADMIN_HELP
    return commands


async def help_text(ctx: Ctx) -> Text:
    """The commands this caller may use: a citizen's, then a candidate's, a moderator's,
    an administrator's, as the account holds each role now."""
    roles = await roles_of(ctx.unit.session, ctx.event.sender.platform, ctx.event.sender.id)
    lines = _section(ctx, N_("What I can do:"), HELP)
    lines.append(plain(ctx._("Or just type a name to search for a candidate.")))
    if roles.candidacy_ids:
        lines += _section(ctx, N_("For your candidacy:"), CANDIDATE_HELP)
    if roles.enters_lists:
        lines += _section(ctx, N_("For volunteers and moderators:"), LIST_HELP)
    if roles.is_moderator:
        lines += _section(ctx, N_("For moderators:"), MODERATOR_HELP)
    if roles.is_admin:
        lines += _section(ctx, N_("For administrators:"), ADMIN_HELP)
    return join(lines)


@router.command("help", description=DESCRIPTIONS["help"])
async def help_command(ctx: Ctx) -> Reply:
    return Reply.of(await help_text(ctx))


@router.action("menu")
async def menu_action(ctx: Ctx) -> Replies:
    from handlers import areas, candidates, elections, language, reports, rights

    choice = action_arg(ctx)
    if choice == "search":
        return candidates.ask_for_name(ctx)
    if choice == "area":
        ctx.state = ctx.state.at(areas.ASK_AREA)  # a typed name answers it, as after /area
        return await areas.list_children(ctx, None)
    if choice == "elections":
        return await elections.elections_reply(ctx, None)
    if choice == "rights":
        return rights.overview(ctx)
    if choice == "report":
        return await reports.report_command(ctx)
    if choice == "language":
        return language.choices(ctx)
    return Reply.of(await help_text(ctx))
