from app.accounts.passwords import generate_temporary_password, hash_password, policy_problems, verify_password


def test_argon2_round_trip():
    hashed = hash_password("Correct-Horse-9")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "Correct-Horse-9")
    assert not verify_password(hashed, "correct-horse-9")
    assert not verify_password("not-a-hash", "x")


def test_policy_in_chinese():
    assert policy_problems("Abcdefgh1234!") == []
    assert any("12 個字元" in p for p in policy_problems("Ab1!"))
    assert any("三類" in p for p in policy_problems("abcdefghijklmnop"))
    assert any("帳號名稱" in p for p in policy_problems("Tpe.sw1-Password9", username="tpe.sw1"))


def test_temporary_passwords_satisfy_the_policy():
    for _ in range(20):
        assert policy_problems(generate_temporary_password()) == []
