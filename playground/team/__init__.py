"""Team mode: people and their roles (`people`), the audit trail (`audit`) and pseudonymous
rater ids for exports (`raters`). Streamlit-free; sign-in itself is the app's (`st.login`)."""
