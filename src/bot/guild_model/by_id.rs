//! A guild's roles or channels: a vector sorted by id, so that a binary search finds one
//! without a map's overhead in every guild.

use std::ops::Deref;

/// What [`ById`] keeps: things with an id.
pub trait HasId {
    fn id(&self) -> u64;
}

/// Items sorted by id; reads as a slice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ById<T>(Vec<T>);

impl<T> Default for ById<T> {
    fn default() -> Self {
        ById(Vec::new())
    }
}

impl<T> Deref for ById<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T: HasId> FromIterator<T> for ById<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        let mut sorted: Vec<T> = items.into_iter().collect();
        sorted.sort_unstable_by_key(T::id);
        sorted.shrink_to_fit();
        ById(sorted)
    }
}

impl<T: HasId> ById<T> {
    /// The item with `id`.
    pub fn get(&self, id: u64) -> Option<&T> {
        let at = self.0.binary_search_by_key(&id, T::id).ok()?;
        self.0.get(at)
    }

    /// Puts `item` in order, in place of the one with its id if there is one.
    pub fn upsert(&mut self, item: T) {
        match self.0.binary_search_by_key(&item.id(), T::id) {
            Ok(at) => self.0[at] = item,
            Err(at) => self.0.insert(at, item),
        }
    }

    pub fn remove(&mut self, id: u64) {
        self.0.retain(|item| item.id() != id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An item whose id is its first number and whose version is its second.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Item(u64, u8);

    impl HasId for Item {
        fn id(&self) -> u64 {
            self.0
        }
    }

    #[test]
    fn an_upsert_replaces_the_item_with_its_id_or_inserts_it_in_order() {
        let mut sorted: ById<Item> = [Item(5, 0), Item(1, 0)].into_iter().collect();
        for upserted in [Item(3, 0), Item(5, 1), Item(9, 0)] {
            sorted.upsert(upserted);
        }
        assert_eq!(*sorted, [Item(1, 0), Item(3, 0), Item(5, 1), Item(9, 0)]);
        assert_eq!(sorted.get(5), Some(&Item(5, 1)));
        assert_eq!(sorted.get(4), None);
    }

    #[test]
    fn a_removed_item_is_gone_and_the_rest_stay_in_order() {
        let mut sorted: ById<Item> = [Item(3, 0), Item(1, 0), Item(2, 0)].into_iter().collect();
        sorted.remove(2);
        sorted.remove(7);
        assert_eq!(*sorted, [Item(1, 0), Item(3, 0)]);
    }
}
