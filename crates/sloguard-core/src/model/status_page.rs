//! What a customer-facing status page shows: components (an SLO or a group of them, named for
//! customers) and the words it uses for each state. Without one, every SLO is a component
//! named by its description (or its name) and the words are the defaults below.
//!
//! ```
//! use sloguard_core::model::{ComponentState, StatusComponent, StatusPage};
//!
//! let page = StatusPage::new("Acme Payments")
//!     .component(StatusComponent::new("Card payments", ["availability", "latency"]));
//! assert_eq!(page.components[0].slos, ["availability", "latency"]);
//! assert_eq!(page.words.of(ComponentState::Operational), "Operational");
//! ```

/// A component's state, in Atlassian Statuspage's vocabulary, plus the one sloguard adds:
/// no data (never shown as operational).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ComponentState {
    /// Every SLO of it is met and no alert fires.
    Operational,
    /// sloguard has no events to judge it by: not shown as operational.
    NoData,
    /// A scheduled maintenance of it is in progress.
    UnderMaintenance,
    /// An alert fires and under 10% of its requests go wrong (or it is slow).
    DegradedPerformance,
    /// An alert fires and from 10% to under 50% of its requests go wrong.
    PartialOutage,
    /// An alert fires and half its requests or more go wrong.
    MajorOutage,
}

impl ComponentState {
    /// Every state, best first.
    pub const ALL: [ComponentState; 6] = [
        ComponentState::Operational,
        ComponentState::NoData,
        ComponentState::UnderMaintenance,
        ComponentState::DegradedPerformance,
        ComponentState::PartialOutage,
        ComponentState::MajorOutage,
    ];

    /// The Statuspage status value (`operational`, `under_maintenance`,
    /// `degraded_performance`, `partial_outage`, `major_outage`). No data is `degraded_performance` there: the schema has no unknown
    /// state, and an unseen component must not read as operational.
    pub const fn statuspage(self) -> &'static str {
        match self {
            ComponentState::Operational => "operational",
            ComponentState::UnderMaintenance => "under_maintenance",
            ComponentState::NoData | ComponentState::DegradedPerformance => "degraded_performance",
            ComponentState::PartialOutage => "partial_outage",
            ComponentState::MajorOutage => "major_outage",
        }
    }

    /// sloguard's own name: the Statuspage value, or `no_data`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ComponentState::NoData => "no_data",
            other => other.statuspage(),
        }
    }

    /// The state of a share of requests going wrong while an alert fires.
    pub fn of_failing_share(share: f64) -> ComponentState {
        if share >= 0.5 {
            ComponentState::MajorOutage
        } else if share >= 0.1 {
            ComponentState::PartialOutage
        } else {
            ComponentState::DegradedPerformance
        }
    }
}

/// What the page says for each state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusWords {
    /// Operational.
    pub operational: String,
    /// No data.
    pub no_data: String,
    /// Under maintenance.
    pub under_maintenance: String,
    /// Degraded performance.
    pub degraded_performance: String,
    /// Partial outage.
    pub partial_outage: String,
    /// Major outage.
    pub major_outage: String,
}

impl Default for StatusWords {
    fn default() -> Self {
        StatusWords {
            operational: "Operational".to_owned(),
            no_data: "Status unknown".to_owned(),
            under_maintenance: "Under maintenance".to_owned(),
            degraded_performance: "Degraded performance".to_owned(),
            partial_outage: "Partial outage".to_owned(),
            major_outage: "Major outage".to_owned(),
        }
    }
}

impl StatusWords {
    /// The words for `state`.
    pub fn of(&self, state: ComponentState) -> &str {
        match state {
            ComponentState::Operational => &self.operational,
            ComponentState::NoData => &self.no_data,
            ComponentState::UnderMaintenance => &self.under_maintenance,
            ComponentState::DegradedPerformance => &self.degraded_performance,
            ComponentState::PartialOutage => &self.partial_outage,
            ComponentState::MajorOutage => &self.major_outage,
        }
    }

    /// The words for `state`, to set.
    pub fn of_mut(&mut self, state: ComponentState) -> &mut String {
        match state {
            ComponentState::Operational => &mut self.operational,
            ComponentState::NoData => &mut self.no_data,
            ComponentState::UnderMaintenance => &mut self.under_maintenance,
            ComponentState::DegradedPerformance => &mut self.degraded_performance,
            ComponentState::PartialOutage => &mut self.partial_outage,
            ComponentState::MajorOutage => &mut self.major_outage,
        }
    }
}

/// One component: what customers call it and the SLOs it is judged by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusComponent {
    /// Its name for customers.
    pub name: String,
    /// A sentence for customers, if any.
    pub description: Option<String>,
    /// The SLOs it is judged by (the worst one decides).
    pub slos: Vec<String>,
}

impl StatusComponent {
    /// A component judged by `slos`.
    pub fn new<S: Into<String>>(
        name: impl Into<String>,
        slos: impl IntoIterator<Item = S>,
    ) -> Self {
        StatusComponent {
            name: name.into(),
            description: None,
            slos: slos.into_iter().map(Into::into).collect(),
        }
    }

    /// Its stable id, as the Statuspage documents and the write API name it: its name in
    /// lowercase ASCII letters and digits, other runs of characters as one dash.
    pub fn id(&self) -> String {
        slug(&self.name)
    }

    /// With a description for customers.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }
}

/// `text` in lowercase ASCII letters and digits, other runs of characters as one dash: the
/// ids of components, pages and incidents.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// The customer-facing status page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusPage {
    /// Its title (the service's name for customers).
    pub title: String,
    /// The components, in the order shown.
    pub components: Vec<StatusComponent>,
    /// The words for each state.
    pub words: StatusWords,
    /// Where customers reach the page (`https://status.example.com`), for the Statuspage
    /// documents' `page.url`; without it they say `/status`. Configured, never taken from a
    /// request: a client's `Host` header must not choose the link other clients are given.
    pub url: Option<String>,
}

impl StatusPage {
    /// A page titled `title`, without components yet (until one is added, every SLO is one).
    pub fn new(title: impl Into<String>) -> Self {
        StatusPage {
            title: title.into(),
            components: Vec::new(),
            words: StatusWords::default(),
            url: None,
        }
    }

    /// The page with its components, or when it names none, one component per SLO of
    /// `slos` (`(name, description)`), named by its description or its name.
    pub fn or_one_component_per_slo<'a>(
        mut self,
        slos: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
    ) -> Self {
        if self.components.is_empty() {
            self.components = slos
                .into_iter()
                .map(|(name, description)| {
                    StatusComponent::new(description.unwrap_or(name), [name])
                })
                .collect();
        }
        self
    }

    /// The component whose id or name is `key` (as a person or a script names it).
    pub fn find_component(&self, key: &str) -> Option<&StatusComponent> {
        self.components
            .iter()
            .find(|c| c.name == key || c.id() == key)
    }

    /// Adds a component.
    pub fn component(mut self, component: StatusComponent) -> Self {
        self.components.push(component);
        self
    }

    /// Sets the page's public URL (see [`StatusPage::url`](StatusPage#structfield.url)).
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// Sets the words for one state.
    pub fn words(mut self, state: ComponentState, text: impl Into<String>) -> Self {
        *self.words.of_mut(state) = text.into();
        self
    }
}
