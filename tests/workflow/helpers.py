from django.contrib.auth.models import Group

from content import roles
from tests import factories
from content import services as content_services
from tests.factories import verdicts
from workflow import services


def new_draft(world, *, title="关于举行秋季运动会的通知", body="<p>全校师生参加。</p>", author=None, **extra):
    return content_services.draft_create(actor=author or world.editor, account_id=world.account.pk, title=title,
                                         body=body, **extra)


def submit(world, draft, actor=None):
    return services.submission_submit(actor=actor or world.editor, draft_id=draft.pk)


def decide(reviewer, submission, **fails):
    v, c = verdicts(**fails)
    return services.submission_decide(actor=reviewer, submission_id=submission.pk, verdicts=v, comments=c)


def approve_all(world, submission):
    for reviewer in world.reviewers:
        submission = decide(reviewer, submission)
    return submission


# ---------------------------------------------------------------- countersign tiers (会签)

def countersign_members(world, tier_no, count, *, prefix="cs"):
    """``count`` reviewers of the city holding tier ``tier_no``."""
    people = []
    for i in range(count):
        person = factories.user(f"{prefix}{tier_no}_{i}", org_=world.city, roles_=[roles.REVIEWER],
                                name=f"会签{tier_no}-{i}")
        factories.tier(person, tier_no, org_=world.city)
        people.append(person)
    return people


def countersign_policy(world, tiers):
    return services.policy_create(actor=world.admin, name="会签策略", account_id=world.account.pk, tiers=tiers)


def with_quorum(world):
    """初审 (one) then 会签 needing two of three members (world.signers)."""
    world.signers = countersign_members(world, 2, 3)
    countersign_policy(world, [{"name": "初审", "due_hours": 24},
                               {"name": "会签", "due_hours": 24, "signatures": 2}])
    return world


def with_offices(world):
    """初审 then 终审 signed by the propaganda office (p1, p2) and the secrecy
    office (s1); ``nobody`` holds the tier in neither office."""
    world.propaganda, world.secrecy = Group.objects.create(name="宣传部"), Group.objects.create(name="保密办")
    world.p1, world.p2, world.s1, world.nobody = countersign_members(world, 2, 4, prefix="of")
    world.p1.groups.add(world.propaganda)
    world.p2.groups.add(world.propaganda)
    world.s1.groups.add(world.secrecy)
    countersign_policy(world, [{"name": "初审"}, {"name": "终审", "groups": [world.propaganda.pk, world.secrecy.pk]}])
    return world


def at_second_tier(world, title="关于举行秋季运动会的通知"):
    return decide(world.reviewers[0], submit(world, new_draft(world, title=title)))
