using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace TransferHub.Web.Data.Migrations.SqlServer
{
    /// <inheritdoc />
    public partial class FairVerdicts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Verdicts are stored by their enum name now (TransferVerdict), no longer as the words shown.
            migrationBuilder.Sql("UPDATE ModelVersions SET Verdict = CASE Verdict WHEN 'positive transfer' THEN 'Positive' WHEN 'negative transfer' THEN 'Negative' "
                + "WHEN 'reference' THEN 'Reference' WHEN 'waiting for results' THEN 'Waiting' WHEN 'waiting for the baseline' THEN 'Waiting' ELSE 'Inconclusive' END "
                + "WHERE Verdict IS NOT NULL");

            migrationBuilder.AddColumn<string>(
                name: "VerdictReason",
                table: "ModelVersions",
                type: "nvarchar(1000)",
                maxLength: 1000,
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "MinimumGain",
                table: "Experiments",
                type: "float",
                nullable: false,
                defaultValue: 0.01);

            migrationBuilder.AddColumn<int>(
                name: "Steps",
                table: "Experiments",
                type: "int",
                nullable: false,
                defaultValue: 0);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("UPDATE ModelVersions SET Verdict = CASE Verdict WHEN 'Positive' THEN 'positive transfer' WHEN 'Negative' THEN 'negative transfer' "
                + "WHEN 'Reference' THEN 'reference' WHEN 'Waiting' THEN 'waiting for results' ELSE 'inconclusive' END WHERE Verdict IS NOT NULL");

            migrationBuilder.DropColumn(
                name: "VerdictReason",
                table: "ModelVersions");

            migrationBuilder.DropColumn(
                name: "MinimumGain",
                table: "Experiments");

            migrationBuilder.DropColumn(
                name: "Steps",
                table: "Experiments");
        }
    }
}
