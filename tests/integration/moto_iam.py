"""moto_iam - moto's IAM, where it differs from AWS in a way the tests
meet (docs/testing.md, "Emulator extensions"):

  - RemoveRoleFromInstanceProfile of a role the profile does not hold is
    NoSuchEntity (moto answered 500), as when a retried call finds its
    first attempt done.
  - GetAccountAuthorizationDetails pages by MaxItems and Marker, with
    IsTruncated, as AWS does (moto answered everything in one page and
    ignored both); the roles come in the order ListRoles gives them.
  - GetAccountAuthorizationDetails gives each managed policy's PolicyName
    and PolicyId, as AWS does (moto left both out).

install() patches moto in this process; call it before the server starts.
"""

from moto.iam import models as iam_models

B = iam_models.IAMBackend
_installed = False


def remove_role_from_instance_profile(self, profile_name, role_name):
    profile = self.get_instance_profile(profile_name)
    role = self.get_role(role_name)
    if role not in profile.roles:
        raise iam_models.NoSuchEntity(
            f"Role {role_name} is not in instance profile {profile_name}.")
    profile.roles.remove(role)


def get_account_authorization_details(self):
    """One page: every kind the filter asks for, cut at MaxItems."""
    from moto.core.responses import ActionResult
    filter_param = self._get_param("Filter", [])
    marker = int(self._get_param("Marker", "0") or 0)
    max_items = int(self._get_param("MaxItems", 100) or 100)
    details = self.backend.get_account_authorization_details(filter_param)
    items = []
    for kind in ("users", "groups", "roles", "managed_policies"):
        entries = list(details[kind])
        if kind == "roles":
            entries.sort(key=lambda role: role.id)
        items += [(kind, e) for e in entries]
    page = items[marker:marker + max_items]
    result = {
        "UserDetailList": [e for k, e in page if k == "users"],
        "GroupDetailList": [e for k, e in page if k == "groups"],
        "RoleDetailList": [e for k, e in page if k == "roles"],
        "Policies": [e for k, e in page if k == "managed_policies"],
        "IsTruncated": marker + max_items < len(items),
    }
    if result["IsTruncated"]:
        result["Marker"] = str(marker + max_items)
    return ActionResult(result)


def install():
    global _installed
    if _installed:
        return
    _installed = True
    B.remove_role_from_instance_profile = remove_role_from_instance_profile
    from moto.iam import responses as iam_responses
    iam_responses.IamResponse.get_account_authorization_details = \
        get_account_authorization_details
    # the answer's fields are read from the object's attributes
    iam_models.ManagedPolicy.policy_name = property(lambda p: p.name)
    iam_models.ManagedPolicy.policy_id = property(lambda p: p.id)
