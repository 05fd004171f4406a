using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using TransferHub.Web.Features.Datasets;

namespace TransferHub.Web.Features.Labeling;

/// <summary>A model's guess for an unlabeled item: feeds "least confident first" and the pre-label on the labeling page.</summary>
public sealed class ItemScore
{
    public Guid ItemId { get; set; }
    public Guid DatasetId { get; set; }
    /// <summary>The finished run whose model scored the item.</summary>
    public Guid RunId { get; set; }
    public Guid LabelId { get; set; }
    /// <summary>The model's probability for <see cref="LabelId"/>, its top class.</summary>
    public double Confidence { get; set; }
    public DateTimeOffset ScoredAt { get; set; }
}

internal sealed class ItemScoreConfiguration : IEntityTypeConfiguration<ItemScore>
{
    public void Configure(EntityTypeBuilder<ItemScore> builder)
    {
        builder.HasKey(s => s.ItemId);
        builder.HasIndex(s => s.DatasetId);
        builder.HasOne<Item>().WithOne().HasForeignKey<ItemScore>(s => s.ItemId).OnDelete(DeleteBehavior.Cascade);
    }
}
