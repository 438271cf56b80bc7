"""The referral area's workflows as declared on the engine: every state reachable, the old
hand-written tables kept as the declaration's moves, and the national data generator emitting
only states the declarations reach."""
from app.core import workflow
from app.referrals import disputes, joint, services
from app.referrals.models import DisputeStatus, HandoverStatus, ReferralStatus
from app.scale import generator

R, D, H = ReferralStatus, DisputeStatus, HandoverStatus


def test_the_four_workflows_are_declared_once_with_every_state_reachable():
    for wf, states in ((services.WORKFLOW, ReferralStatus), (services.COUNTY_TRANSFER_WORKFLOW, ReferralStatus),
                       (disputes.WORKFLOW, DisputeStatus), (joint.WORKFLOW, HandoverStatus)):
        assert workflow.REGISTRY[wf.name] is wf
        assert wf.reachable() == set(states), wf.name


def test_the_moves_are_the_old_tables_plus_the_ways_out():
    assert services.WORKFLOW.moves() == {
        R.WAITING: {R.IN_SERVICE, R.DECLINED, R.RETURNED, R.FORWARDED, R.WITHDRAWN},
        R.RETURNED: {R.WAITING, R.WITHDRAWN}, R.IN_SERVICE: {R.COMPLETED, R.FAILED},
        R.DECLINED: set(), R.FORWARDED: set(), R.COMPLETED: set(), R.FAILED: set(), R.WITHDRAWN: set()}
    assert services.COUNTY_TRANSFER_WORKFLOW.moves() == services.WORKFLOW.moves()
    assert disputes.WORKFLOW.moves() == {
        D.AWAITING_RESPONSE: {D.AGREED, D.AWAITING_ARBITER, D.WITHDRAWN}, D.AWAITING_ARBITER: {D.DECIDED, D.WITHDRAWN},
        D.AGREED: set(), D.DECIDED: set(), D.WITHDRAWN: set()}
    assert joint.WORKFLOW.moves() == {H.PENDING: {H.ACCEPTED, H.DECLINED, H.CANCELLED}, H.ACCEPTED: set(),
                                      H.DECLINED: set(), H.CANCELLED: set()}


def test_the_generator_emits_only_reachable_states():
    referral = {s.value for s in services.WORKFLOW.reachable() & services.COUNTY_TRANSFER_WORKFLOW.reachable()}
    assert {status for status, _ in generator.REFERRAL_MIX} <= referral
    assert set(generator.REFERRAL_STATUS_LABEL) <= referral
    assert {status for status, _ in generator.DISPUTE_MIX} <= {s.value for s in disputes.WORKFLOW.reachable()}
    assert set(generator.DISPUTE_LABEL) <= {s.value for s in disputes.WORKFLOW.reachable()}
    assert {status for status, _ in generator.HANDOVER_MIX} <= {s.value for s in joint.WORKFLOW.reachable()}
