package market

// Actor is the authenticated caller of a use case. The zero Actor is an
// anonymous shopper.
type Actor struct {
	UserID     string
	Role       Role
	DistrictID string
}

// IsAdmin reports whether the actor is an administrator.
func (a Actor) IsAdmin() bool { return a.Role == RoleAdmin }

// CanManageDistrict reports whether the actor may act for a whole district:
// admins anywhere, staff only in their own.
func (a Actor) CanManageDistrict(districtID string) bool {
	return a.Role == RoleAdmin || (a.Role == RoleStaff && a.DistrictID != "" && a.DistrictID == districtID)
}

// CanReadStall reports whether the actor may see a stall's private details
// (bank account holder, payments): its owner, staff of its district, admins.
func (a Actor) CanReadStall(s *Stall) bool {
	return (a.Role == RoleVendor && a.UserID == s.OwnerID) || a.CanManageDistrict(s.DistrictID)
}

// OwnsStall reports whether the actor is the vendor who owns the stall.
func (a Actor) OwnsStall(s *Stall) bool { return a.Role == RoleVendor && a.UserID == s.OwnerID }
