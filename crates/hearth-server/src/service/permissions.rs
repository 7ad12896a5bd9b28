//! The permission table: which role may do what, in which kind of room.

use hearth_protocol::dto::{Role, RoomKind};

/// Everything a member can attempt in a room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Read,
    Post,
    React,
    Invite,
    Kick,
    Ban,
    Mute,
    ChangeRole,
    EditRoom,
    Archive,
    DeleteOthersMessage,
    Pin,
    PostAnonymously,
    Leave,
}

impl Action {
    pub const ALL: [Action; 14] = [
        Action::Read,
        Action::Post,
        Action::React,
        Action::Invite,
        Action::Kick,
        Action::Ban,
        Action::Mute,
        Action::ChangeRole,
        Action::EditRoom,
        Action::Archive,
        Action::DeleteOthersMessage,
        Action::Pin,
        Action::PostAnonymously,
        Action::Leave,
    ];

    /// The least role that may take this action (in rooms where it exists).
    pub fn min_role(self) -> Role {
        match self {
            Action::Read | Action::Post | Action::React | Action::Invite | Action::Leave => {
                Role::Member
            }
            Action::PostAnonymously => Role::Member,
            Action::Kick
            | Action::Ban
            | Action::Mute
            | Action::DeleteOthersMessage
            | Action::Pin => Role::Moderator,
            Action::EditRoom | Action::ChangeRole => Role::Admin,
            Action::Archive => Role::Owner,
        }
    }

    /// Whether the action exists in this kind of room at all. A DM is a fixed
    /// pair: nobody invites, removes, bans or changes roles there.
    pub fn exists_in(self, kind: RoomKind) -> bool {
        match kind {
            RoomKind::Dm => !matches!(
                self,
                Action::Invite
                    | Action::Kick
                    | Action::Ban
                    | Action::Mute
                    | Action::ChangeRole
                    | Action::Leave
                    | Action::PostAnonymously
            ),
            RoomKind::Group | RoomKind::Channel => true,
        }
    }
}

/// May a member with `role` take `action` in a room of `kind`?
/// `anonymous_allowed` is the room's setting (only matters for anonymous posts).
pub fn allows(role: Role, action: Action, kind: RoomKind, anonymous_allowed: bool) -> bool {
    if !action.exists_in(kind) {
        return false;
    }
    if action == Action::PostAnonymously && !anonymous_allowed {
        return false;
    }
    role >= action.min_role()
}

/// Actions on another member (kick, ban, mute, role change) also need to
/// outrank them: a moderator cannot kick an admin.
pub fn outranks(actor: Role, target: Role) -> bool {
    actor > target || actor == Role::Owner
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_cannot_moderate_and_moderators_cannot_administer() {
        let k = RoomKind::Channel;
        assert!(allows(Role::Member, Action::Post, k, false));
        assert!(!allows(Role::Member, Action::Kick, k, false));
        assert!(allows(Role::Moderator, Action::Kick, k, false));
        assert!(!allows(Role::Moderator, Action::ChangeRole, k, false));
        assert!(allows(Role::Admin, Action::ChangeRole, k, false));
        assert!(!allows(Role::Admin, Action::Archive, k, false));
        assert!(allows(Role::Owner, Action::Archive, k, false));
    }

    #[test]
    fn dms_have_no_membership_management() {
        for a in [
            Action::Invite,
            Action::Kick,
            Action::Ban,
            Action::ChangeRole,
            Action::Leave,
        ] {
            assert!(!allows(Role::Owner, a, RoomKind::Dm, true));
        }
        assert!(allows(Role::Member, Action::Post, RoomKind::Dm, false));
    }

    #[test]
    fn anonymous_posts_need_the_room_setting() {
        assert!(!allows(
            Role::Owner,
            Action::PostAnonymously,
            RoomKind::Group,
            false
        ));
        assert!(allows(
            Role::Member,
            Action::PostAnonymously,
            RoomKind::Group,
            true
        ));
    }

    #[test]
    fn only_owners_act_on_equals() {
        assert!(outranks(Role::Admin, Role::Moderator));
        assert!(!outranks(Role::Moderator, Role::Moderator));
        assert!(outranks(Role::Owner, Role::Owner));
    }
}
