"""Routes an event to the handler that owns it.

- Commands go to their handler whatever step the conversation is in; a command
  ends any unfinished flow first (``ctx.previous`` still shows it), except a private
  flow (a report's draft) or one whose steps were registered with ``keep_flow`` (a
  candidate list being entered): the command is answered and the draft kept, with the
  ``paused`` handlers' note on how to go on, unless the command was registered with
  ``ends_flows`` (``/cancel``) or handles the draft itself.
- Button payloads are ``prefix:args``; an action bound to a step runs only while
  the conversation is at that step, otherwise the button has expired.
- Free text goes to the handler of the current step, else to the text fallback.
- Photos and other media go to the current step if it takes media, else to the
  ``unsupported`` fallback.

Work too heavy for the event loop or for the database transaction (a slow receipt
hash, decoding a photo) is registered with ``before``: it runs before the transaction
opens, in whatever thread pool it chooses, and the handler finds its result in
``ctx.prepared``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.core.context import Context, Prep, Replies, U, as_list
from bot.core.events import (
    ButtonAction,
    Command,
    PhotoMessage,
    TextMessage,
    UnsupportedMessage,
)
from bot.core.state import ConversationState

Handler = Callable[[Context[U]], Awaitable[Replies]]
Preparer = Callable[[Prep], Awaitable[object]]
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    #: Shown in /help and in the platforms' command menus, as an untranslated msgid.
    description: str | None


@dataclass(frozen=True, slots=True)
class _Action(Generic[U]):
    handler: Handler[U]
    step: str | None


class Router(Generic[U]):
    def __init__(self) -> None:
        self._commands: dict[str, Handler[U]] = {}
        self.command_specs: list[CommandSpec] = []
        self._actions: dict[str, _Action[U]] = {}
        self._steps: dict[str, Handler[U]] = {}
        self._media_steps: set[str] = set()
        self._unsupported: Handler[U] | None = None
        self._text: Handler[U] | None = None
        self._unknown_command: Handler[U] | None = None
        self._stale_action: Handler[U] | None = None
        self._before: dict[str, Preparer] = {}
        self._paused: list[Handler[U]] = []
        self._kept_flows: set[str] = set()
        self._flow_enders: set[str] = set()

    # Registration -----------------------------------------------------

    def command(
        self, *names: str, description: str | None = None, ends_flows: bool = False
    ) -> Callable[[Handler[U]], Handler[U]]:
        """``ends_flows``: the handler decides what becomes of a private flow in
        progress (``ctx.previous``); other commands leave it as it was."""

        def register(fn: Handler[U]) -> Handler[U]:
            for i, name in enumerate(names):
                self._claim(self._commands, name, fn, "command")
                self.command_specs.append(CommandSpec(name, description if i == 0 else None))
                if ends_flows:
                    self._flow_enders.add(name)
            return fn

        return register

    def action(self, prefix: str, *, step: str | None = None) -> Callable[[Handler[U]], Handler[U]]:
        if ":" in prefix:
            raise ValueError("an action prefix cannot contain ':'")

        def register(fn: Handler[U]) -> Handler[U]:
            self._claim(self._actions, prefix, _Action(fn, step), "action")
            return fn

        return register

    def step(self, name: str, *, media: bool = False) -> Callable[[Handler[U]], Handler[U]]:
        """Free text at step ``name``; with ``media``, photos and other media too."""

        def register(fn: Handler[U]) -> Handler[U]:
            self._claim(self._steps, name, fn, "step")
            if media:
                self._media_steps.add(name)
            return fn

        return register

    def before(
        self, *, command: str | None = None, action: str | None = None, step: str | None = None,
        photos: bool = False,
    ) -> Callable[[Preparer], Preparer]:  # fmt: skip
        """Run the decorated preparer before the transaction of a ``command``, a button
        with prefix ``action``, media sent at private ``step``, or with ``photos`` a photo
        sent outside any private flow (whose step is not known before the transaction:
        the preparer tells cheaply whether the photo is expected, from ``Prep.ephemeral``)."""
        (key,) = [f"{kind}:{name}" for kind, name in
                  (("command", command), ("action", action), ("step", step),
                   ("photo", "any" if photos else None)) if name]  # fmt: skip

        def register(fn: Preparer) -> Preparer:
            self._claim(self._before, key, fn, "preparer")
            return fn

        return register

    def text(self, fn: Handler[U]) -> Handler[U]:
        self._text = fn
        return fn

    def unknown_command(self, fn: Handler[U]) -> Handler[U]:
        self._unknown_command = fn
        return fn

    def stale_action(self, fn: Handler[U]) -> Handler[U]:
        self._stale_action = fn
        return fn

    def paused(self, fn: Handler[U]) -> Handler[U]:
        """What to add to a command's answer given in the middle of a kept flow, which
        stays where it was (``ctx.state``): how to go on with it. Every module may have
        one; each says nothing (None) of a flow that is not its own."""
        self._paused.append(fn)
        return fn

    def keep_flow(self, step_prefix: str) -> None:
        """Steps starting with ``step_prefix`` make a flow that other commands answer
        without ending, as they do a private one."""
        self._kept_flows.add(step_prefix)

    def unsupported(self, fn: Handler[U]) -> Handler[U]:
        """Photos, documents and other media that no step asked for."""
        self._unsupported = fn
        return fn

    def include(self, other: Router[U]) -> None:
        for name, fn in other._commands.items():
            self._claim(self._commands, name, fn, "command")
        self.command_specs.extend(other.command_specs)
        for prefix, action in other._actions.items():
            self._claim(self._actions, prefix, action, "action")
        for step, fn in other._steps.items():
            self._claim(self._steps, step, fn, "step")
        self._media_steps |= other._media_steps
        for key, preparer in other._before.items():
            self._claim(self._before, key, preparer, "preparer")
        self._unsupported = other._unsupported or self._unsupported
        self._text = other._text or self._text
        self._unknown_command = other._unknown_command or self._unknown_command
        self._stale_action = other._stale_action or self._stale_action
        self._paused += other._paused
        self._kept_flows |= other._kept_flows
        self._flow_enders |= other._flow_enders

    @staticmethod
    def _claim(table: dict[str, V], key: str, value: V, kind: str) -> None:
        if key in table:
            raise ValueError(f"{kind} {key!r} is registered twice")
        table[key] = value

    # Dispatch ---------------------------------------------------------

    @property
    def command_names(self) -> list[str]:
        return list(self._commands)

    @property
    def action_prefixes(self) -> dict[str, str | None]:
        """Each button prefix, with the step it is bound to (None: any step)."""
        return {prefix: action.step for prefix, action in self._actions.items()}

    def _keeping(self, handler: Handler[U], flow: ConversationState) -> Handler[U]:
        """``handler``, answering in the middle of private ``flow``, which it keeps."""
        paused = self._paused

        async def answer_and_keep(ctx: Context[U]) -> Replies:
            replies = as_list(await handler(ctx))
            # A flow the command began gives way: the draft is worth more.
            ctx.state = flow
            for note in paused:
                replies += as_list(await note(ctx))
            return replies

        return answer_and_keep

    def _kept(self, state: ConversationState) -> bool:
        step = state.step or ""
        return state.private or any(step.startswith(prefix) for prefix in self._kept_flows)

    async def prepare(self, prep: Prep) -> object:
        """What the preparer for ``prep.event`` returns, or None when it has none."""
        event = prep.event
        if isinstance(event, Command):
            key = f"command:{event.name}"
        elif isinstance(event, ButtonAction):
            key = f"action:{event.payload.partition(':')[0]}"
        elif isinstance(event, PhotoMessage):
            key = "photo:any" if prep.step is None else f"step:{prep.step}"
        else:
            return None
        preparer = self._before.get(key)
        return None if preparer is None else await preparer(prep)

    def resolve(self, ctx: Context[U]) -> Handler[U] | None:
        """The handler for ``ctx.event``; may reset ``ctx.state`` for a command."""
        event = ctx.event
        if isinstance(event, Command):
            interrupted = ctx.state
            ctx.state = ctx.state.fresh()
            handler = self._commands.get(event.name, self._unknown_command)
            if handler is None or not self._kept(interrupted) or event.name in self._flow_enders:
                return handler
            return self._keeping(handler, interrupted)
        if isinstance(event, ButtonAction):
            prefix = event.payload.partition(":")[0]
            action = self._actions.get(prefix)
            if action is None or (action.step is not None and action.step != ctx.state.step):
                return self._stale_action
            return action.handler
        if isinstance(event, TextMessage):
            step = ctx.state.step
            if step is None:
                return self._text
            if step in self._steps:
                return self._steps[step]
            # A step no handler knows (an older release's flow) is dropped.
            ctx.state = ctx.state.fresh()
            return self._text
        if isinstance(event, PhotoMessage | UnsupportedMessage):
            if ctx.state.step in self._media_steps:
                return self._steps[ctx.state.step]
            return self._unsupported
        return None
