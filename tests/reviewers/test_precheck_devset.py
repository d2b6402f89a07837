"""The development set of the general rules (tests/reviewers/devset/): its
size, and the figures `make bench` prints, pinned so that a regression fails.
The pins sit a little below the measured figures; raise them when the rules
get better."""
import pytest

from tests.reviewers.devset import evaluate


@pytest.fixture(scope="module")
def evaluation():
    return evaluate.evaluate()


def test_the_set_is_large_enough(evaluation):
    assert evaluation.sentences >= 300 and evaluation.clean >= 300


def test_unlisted_misspellings_meet_the_goal(evaluation):
    figures = evaluation.figures["m-unlisted"]
    assert figures.expected >= 200
    assert figures.precision >= 0.95 and figures.recall >= 0.6  # goal: precision >= 0.85 at recall >= 0.5


@pytest.mark.parametrize("group, precision, recall", [("d", 0.95, 0.9), ("n", 0.95, 0.9), ("p", 0.95, 0.95)])
def test_dates_numbers_names(evaluation, group, precision, recall):
    figures = evaluation.figures[group]
    assert figures.precision >= precision and figures.recall >= recall


def test_clean_sentences_give_no_warning(evaluation):
    assert evaluation.clean_warnings == 0
