"""The assistant as one object the CLI, the HTTP API, bots and evals share.

``Assistant.ask`` validates the question, rewrites a follow-up into a standalone question,
retrieves, builds (or composes with an LLM, then enforces) the answer, and records the turn in a
conversation its caller owns.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from .answer.builder import build_answer
from .answer.question import entities_later
from .answer.selector import Selector, shipped_selector
from .conversation.followup import rewrite
from .conversation.store import (
    LOCAL,
    Caller,
    Conversation,
    ConversationStore,
    Turn,
    full_message,
    validate_id,
)
from .errors import ConversationFullError, QuestionError
from .index.loaded import IndexHolder
from .retrieve.hybrid import search
from .settings import Settings
from .state.database import database_for
from .text.unicode import unicode_problem
from .types import Answer


def clean_question(question: str, max_chars: int) -> str:
    """Trim ``question`` and check it: well-formed Unicode, 1..max_chars after trimming."""
    if not isinstance(question, str):
        raise QuestionError("question must be a string")
    problem = unicode_problem(question, "question")
    if problem:
        raise QuestionError(problem)
    text = " ".join(question.split())
    if not text:
        raise QuestionError('question is empty; ask something, e.g. "What is X?"')
    if len(text) > max_chars:
        raise QuestionError(f"question is {len(text)} characters long; the limit is {max_chars}")
    return text


class Assistant:
    """Shared, thread-safe entry point for answering questions."""

    def __init__(self, settings: Settings, holder: IndexHolder | None = None,
                 selector: Selector | None = None) -> None:
        self.settings = settings
        self.holder = holder or IndexHolder(settings)
        self._conversations: ConversationStore | None = None
        self._selector = selector

    @property
    def selector(self) -> Selector:
        """The answer selector: given, or the settings' ``selector_dir``, or the shipped one."""
        if self._selector is None:
            if self.settings.selector_dir is not None:
                self._selector = shipped_selector(self.settings.selector_dir)
            else:
                self._selector = shipped_selector()
        return self._selector

    @selector.setter
    def selector(self, selector: Selector) -> None:
        self._selector = selector

    @property
    def conversations(self) -> ConversationStore:
        if self._conversations is None:
            self._conversations = ConversationStore(database_for(self.settings))
        return self._conversations

    def warm(self) -> None:
        """Load the index and the model, so the first question is as fast as the rest."""
        self.holder.get()
        self.holder.embedder.warm()
        self.answer("warm up")  # loads the selector and the entity recogniser

    def answer(self, question: str) -> Answer:
        """Answer one standalone question (no conversation)."""
        started = time.perf_counter()
        text = clean_question(question, self.settings.max_question_chars)
        index = self.holder.get()
        entities_later(text)  # spaCy reads the question while it is embedded and searched
        result = search(
            index,
            self.holder.embedder,
            text,
            top_k_hits=self.settings.top_k,
            candidates=self.settings.candidates,
            rrf_k=self.settings.rrf_k,
        )
        t_build = time.perf_counter()
        answer = build_answer(index, result.hits, result.searched, result.query_vector,
                              self.selector)
        if self.settings.llm_url and not answer.refused:
            from .answer.llm import compose_with_llm

            answer = compose_with_llm(index, result.hits, answer, self.settings)
        timings = dict(result.timings_ms)
        timings["build"] = (time.perf_counter() - t_build) * 1000
        timings["total"] = (time.perf_counter() - started) * 1000
        searched = result.searched if result.searched != text else None
        return replace(answer, question=text, standalone_question=searched, timings_ms=timings)

    def ask(
        self,
        question: str,
        conversation_id: str | None = None,
        *,
        caller: Caller = LOCAL,
        context: Sequence[str] = (),
        start: bool = True,
    ) -> Answer:
        """Answer ``question`` within a conversation (a new one when ``conversation_id`` is None).

        A follow-up is rewritten into a standalone question from the earlier turns; the answer
        carries it as ``standalone_question`` and the turn is stored.

        Args:
            question: as asked.
            conversation_id: continue this conversation; it must be ``caller``'s (else 404).
            caller: who asks; owns a new conversation.
            context: earlier questions that are not turns of this conversation (a chat
                client's history): used to rewrite a follow-up, never answered or stored.
            start: a ``conversation_id`` that does not exist yet is started under that id (as
                the CLI and a bot's thread mapping do); the HTTP API passes False, so an
                unknown id is a 404 there.

        Raises:
            QuestionError, NotFoundError, ConversationFullError, IndexNotReadyError, ...
        """
        text = clean_question(question, self.settings.max_question_chars)
        turns: list[Turn] = []
        if conversation_id is None:
            conversation_id = self.conversations.new_id()
        elif not (start and self.conversations.owner(validate_id(conversation_id)) is None):
            self.conversations.check(validate_id(conversation_id), caller)
            turns = self.conversations.turns(conversation_id)
        if len(turns) >= self.settings.max_turns:
            raise ConversationFullError(full_message(conversation_id, self.settings.max_turns))
        earlier = [Turn(0, q, q, Answer(question=q, answer="", refused=True)) for q in context]
        earlier += turns
        standalone = rewrite(text, earlier)
        answer = self.answer(standalone)
        answer = replace(
            answer, question=text, conversation_id=conversation_id,
            standalone_question=answer.standalone_question or standalone,
        )
        self.conversations.append(conversation_id, text, standalone, answer,
                                  owner=caller.owner, max_turns=self.settings.max_turns)
        return answer

    def conversation(self, conversation_id: str, caller: Caller = LOCAL) -> Conversation:
        return self.conversations.get(validate_id(conversation_id), caller)

    def delete_conversation(self, conversation_id: str, caller: Caller = LOCAL) -> None:
        self.conversations.delete(validate_id(conversation_id), caller)
