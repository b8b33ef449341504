"""/start and /help: what the bot does, in the user's language."""

from __future__ import annotations

from sqlalchemy import exists, select

from bot.core.context import Replies
from bot.core.i18n import N_
from bot.core.markup import Text, bold, join, plain
from bot.core.replies import Button, Reply
from handlers.base import Ctx, action_arg, new_router
from storage.models import Election
from storage.roles import roles_of

router = new_router()

#: The commands listed in /help and in the platforms' command menus, in this order.
HELP = (
    ("start", N_("what this bot does")),
    ("area", N_("find your district, its elections and candidates")),
    ("search", N_("find a candidate by name, in characters or pinyin")),
    ("candidate", N_("a candidate's profile, by number or name")),
    ("elections", N_("election dates and the legal deadlines before them")),
    ("topics", N_("candidates' platforms by topic")),
    ("rights", N_("your rights as a voter and as a candidate")),
    ("report", N_("report harassment or irregularities, anonymously")),
    ("status", N_("follow up on your report with its receipt")),
    ("incidents", N_("published incident summaries and counts")),
    ("subscribe", N_("be told when a place's election dates are announced or change")),
    ("subscriptions", N_("the places you follow")),
    ("unsubscribe", N_("stop following a place")),
    ("language", N_("中文 / English")),
    ("cancel", N_("stop what you are doing")),
    ("help", N_("this list")),
)
DESCRIPTIONS = dict(HELP)

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


def help_text(ctx: Ctx) -> Text:
    lines: list[Text] = [bold(ctx._("What I can do:"))]
    lines += [plain(f"/{name} — {ctx._(description)}") for name, description in HELP]
    lines.append(plain(ctx._("Or just type a name to search for a candidate.")))
    return join(lines)


@router.command("help", description=DESCRIPTIONS["help"])
async def help_command(ctx: Ctx) -> Reply:
    return Reply.of(help_text(ctx))


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
    return Reply.of(help_text(ctx))
